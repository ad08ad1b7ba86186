package datasource

import (
	"strconv"
	"time"
)

// CalcKind says how a calculated tag gets its value (Tag.Calc).
type CalcKind uint8

// The kinds of calculated tag. CalcExpr evaluates an expression over other
// tags; the others follow one input tag: totalizers (integrate, counter,
// run_hours, starts) and rolling statistics over a window (avg .. rms).
const (
	CalcExpr      CalcKind = iota + 1
	CalcIntegrate          // the time integral of a rate: m³/h into m³
	CalcCounter            // the increase of a counter, across wrap-around and a reset to 0
	CalcRunHours           // hours a bool input was true
	CalcStarts             // false -> true changes of a bool input
	CalcAvg
	CalcMin
	CalcMax
	CalcStdDev
	CalcRMS
)

var calcKindNames = [...]string{"", "expr", "integrate", "counter", "run_hours", "starts", "avg", "min", "max", "stddev", "rms"}

// String returns the project-file name of the kind ("run_hours").
func (k CalcKind) String() string {
	if int(k) < len(calcKindNames) && k > 0 {
		return calcKindNames[k]
	}
	return "calckind(" + strconv.Itoa(int(k)) + ")"
}

// ParseCalcKind returns the CalcKind named s.
func ParseCalcKind(s string) (CalcKind, bool) {
	for i, n := range calcKindNames {
		if i > 0 && n == s {
			return CalcKind(i), true
		}
	}
	return 0, false
}

// Totalizer reports whether the kind accumulates (and can be reset).
func (k CalcKind) Totalizer() bool { return k >= CalcIntegrate && k <= CalcStarts }

// Rolling reports whether the kind is a statistic over a window.
func (k CalcKind) Rolling() bool { return k >= CalcAvg && k <= CalcRMS }

// ResetPeriod is when a totalizer goes back to 0 by itself.
type ResetPeriod uint8

// The reset periods, in the project's time zone. ResetNever keeps counting.
const (
	ResetNever ResetPeriod = iota
	ResetHourly
	ResetShift // at each of the project's shift start times
	ResetDaily
	ResetMonthly
)

var resetPeriodNames = [...]string{"never", "hourly", "shift", "daily", "monthly"}

// String returns the project-file name of the period ("daily").
func (r ResetPeriod) String() string {
	if int(r) < len(resetPeriodNames) {
		return resetPeriodNames[r]
	}
	return "reset(" + strconv.Itoa(int(r)) + ")"
}

// ParseResetPeriod returns the ResetPeriod named s.
func ParseResetPeriod(s string) (ResetPeriod, bool) {
	for i, n := range resetPeriodNames {
		if n == s {
			return ResetPeriod(i), true
		}
	}
	return 0, false
}

// CalcDef is how a calculated tag is computed, as the project file says:
// plain data for datasource/calc, which compiles and evaluates it. A tag
// with a CalcDef has no device and no address and cannot be written.
type CalcDef struct {
	Kind  CalcKind
	Expr  string // CalcExpr: the expression, e.g. "Pump1.Flow / max(Pump1.Power, 0.1)"
	Input string // the other kinds: the input tag's name
	// Per is the time unit of an integrated rate: time.Hour for m³/h.
	Per time.Duration
	// Wrap is where a counter wraps to 0, in the input's engineering
	// units; 0 takes it from the input's register width and scaling.
	Wrap  float64
	Reset ResetPeriod
	// Window is the span of a rolling statistic.
	Window time.Duration
	// MinGood is the share of Window (0..1) that Good samples must cover
	// for a rolling statistic to be Good rather than Uncertain.
	MinGood float64
	// Typed says the project gave the tag's type; else datasource/calc
	// infers it from the expression (a number is float64).
	Typed bool
	Pos   Pos // the calc field, for messages about the expression
}
