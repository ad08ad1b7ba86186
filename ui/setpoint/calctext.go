package setpoint

import (
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/internal/duration"
)

// calcText says, for the operator, how a calculated tag gets its value and
// that it cannot be written: "calculated (read-only): Pump1.Power /
// Tank1.Inflow", "calculated (read-only): increase of Meter1.Energy, reset
// daily at midnight". The faceplate shows it under the description, so that
// a number no device sends says where it comes from.
func calcText(c *datasource.CalcDef) string {
	const lead = "calculated (read-only): "
	var what string
	switch c.Kind {
	case datasource.CalcExpr:
		return lead + c.Expr
	case datasource.CalcIntegrate:
		what = "integral of " + c.Input
		if c.Per > 0 {
			what += " (a rate per " + duration.Format(c.Per) + ")"
		}
	case datasource.CalcCounter:
		what = "increase of " + c.Input
	case datasource.CalcRunHours:
		what = "hours " + c.Input + " was on"
	case datasource.CalcStarts:
		what = "starts of " + c.Input
	case datasource.CalcAvg, datasource.CalcMin, datasource.CalcMax, datasource.CalcStdDev, datasource.CalcRMS:
		return lead + statName[c.Kind] + " of " + c.Input + " over the last " + duration.Format(c.Window)
	default:
		return lead + c.Kind.String() + " of " + c.Input
	}
	switch c.Reset {
	case datasource.ResetHourly:
		what += ", reset every hour"
	case datasource.ResetShift:
		what += ", reset at each shift start"
	case datasource.ResetDaily:
		what += ", reset daily at midnight"
	case datasource.ResetMonthly:
		what += ", reset on the first of each month"
	}
	return lead + what
}

// statName names a rolling statistic as an engineer says it.
var statName = map[datasource.CalcKind]string{
	datasource.CalcAvg:    "average",
	datasource.CalcMin:    "minimum",
	datasource.CalcMax:    "maximum",
	datasource.CalcStdDev: "standard deviation",
	datasource.CalcRMS:    "RMS",
}
