package sim

import (
	"math"
	"math/rand/v2"
)

// Physical constants of the plant (docs/sim.md explains them).
const (
	dt = 0.1 // seconds of simulated time per step (stepDur)

	tankHeight   = 4.0          // m
	tankArea     = 3.0          // m² (12 m³ tank)
	pumpFlowMax  = 20.0 / 3600  // m³/s at an empty tank
	pumpHeadLoss = 0.25         // fraction of pump flow lost at a full tank (more head)
	pumpFlowTau  = 3.0          // s, flow run-up and run-down
	outletCv     = 0.0075       // m³/s per √m with the outlet valve fully open
	valveSlew    = 5.0          // %/s, outlet valve actuator speed
	levelKp      = 8.0          // %/%, level controller gain (reverse acting)
	levelTi      = 400.0        // s, level controller integral time
	switchHi     = 90.0         // %, high level switch on
	switchLo     = 10.0         // %, low level switch on
	switchHyst   = 1.0          // %, switch hysteresis
	motorIFull   = 13.0         // A at full load
	motorINoLoad = 4.0          // A at no load
	motorInrush  = 6.0          // x full-load current at start, decaying
	inrushTau    = 0.5          // s
	windingRise  = 75.0         // K above ambient at full-load current
	heatTau      = 900.0        // s, winding thermal time constant while running
	coolTau      = 1800.0       // s, cooling time constant at standstill (no fan)
	tripTemp     = 140.0        // °C, winding overtemperature trip
	resetTemp    = 100.0        // °C, a temperature trip resets below this
	vibBase      = 1.6          // mm/s of a healthy running pump
	vibStopped   = 0.1          // mm/s at standstill (background)
	wearRate     = 0.3 / 3600.0 // mm/s per second of running (0.3 mm/s per run hour)
	tripVib      = 11.2         // mm/s, vibration trip (ISO 10816 zone D)
	mainsVolts   = 401.0        // V, no-load line-to-line voltage
	voltsPerKW   = 0.08         // V drop per kW of load
	pfPump       = 0.85         // motor power factor
	pfOther      = 0.95         // other loads' power factor
	otherBaseKW  = 9.0          // kW of other loads at night
	otherDayKW   = 3.0          // kW more at midday
	irrFlow      = 2.4          // m³/h with the irrigation valve open
	irrFlowTau   = 5.0          // s
	wetPerFlow   = 2.0          // % per hour per m³/h of irrigation
	dryPerET     = 2.0          // % per hour per mm/h of evapotranspiration at 30 % moisture
	drainAbove   = 40.0         // % above which the soil drains
	drainRate    = 0.5          // % per hour per % above drainAbove
	moistHyst    = 2.0          // %, irrigation switches at setpoint ∓ this
	etNight      = 0.02         // mm/h
	etPeak       = 0.55         // mm/h at solar noon
)

var sqrt3 = math.Sqrt(3)

// process is the true state of the plant. It is changed only by step and by
// writes, both under Plant.mu.
type process struct {
	// tank 1
	height   float64 // m
	sp       float64 // %, level setpoint
	auto     bool
	ctlOut   float64 // %, controller output (auto) or manual position
	integ    float64 // %, integral term
	valve    float64 // %, actual outlet valve position
	qin      float64 // m³/s
	qout     float64 // m³/s
	supply   float64 // pump suction pressure disturbance, fraction of flow (Ornstein-Uhlenbeck)
	hiSwitch bool
	loSwitch bool

	// pump 1
	running  bool
	fault    bool
	trip     string  // why it tripped, for the start refusal
	runFor   float64 // s since the last start (inrush)
	current  float64 // A
	winding  float64 // °C
	wear     float64 // mm/s added by bearing wear
	runHours float64

	// meter 1
	otherKW  float64 // random part of the other loads (OU)
	gridWalk float64 // V, slow grid voltage wander (OU)
	power    float64 // kW
	pf       float64
	volts    float64
	amps     float64
	energy   float64 // kWh

	// field 1
	moisture float64 // %
	msp      float64 // %
	irrAuto  bool
	irrValve bool
	irrFlow  float64 // m³/h
	et       float64 // mm/h
	weather  float64 // cloudiness factor (OU), scales evapotranspiration

	// site
	ambWalk float64 // °C (OU)
	ambient float64 // °C
}

// initial returns the plant's state at start; the seed varies the counters
// and the bearing's initial wear so that two plants differ.
// hour is the local time of day at start.
func initial(r *rand.Rand, hour float64) process {
	p := process{
		height:   tankHeight * 0.5,
		sp:       50,
		auto:     true,
		running:  true,
		runFor:   3600,
		wear:     0.2 + 0.4*r.Float64(),
		runHours: math.Round(1000 + 4000*r.Float64()),
		energy:   math.Round(10000 + 90000*r.Float64()),
		moisture: 31 + 2*r.Float64(),
		msp:      30,
		irrAuto:  true,
	}
	p.ambient = p.ambientAt(hour)
	// Start the level loop at its steady state so the first minutes are calm.
	q := pumpFlowMax * (1 - pumpHeadLoss*p.height/tankHeight)
	p.qin = q
	p.valve = 100 * q / (outletCv * math.Sqrt(p.height))
	p.ctlOut, p.integ = p.valve, p.valve
	p.qout = q
	p.current = motorINoLoad + (motorIFull-motorINoLoad)*0.9*q/pumpFlowMax
	p.winding = p.ambient + windingRise*(p.current/motorIFull)*(p.current/motorIFull)
	p.et = etNight + etPeak*daylight(hour)
	p.meter(daylight(hour))
	p.meter(daylight(hour)) // again: the voltage depends on the power
	return p
}

// noise channels: one independent Gaussian stream per use.
const (
	chLevel = iota + 1
	chInflow
	chOutflow
	chSupply
	chCurrent
	chTemp
	chVib
	chOther
	chGrid
	chVolts
	chMoist
	chIrrFlow
	chWeather
	chAmbWalk
	chAmbient
	chPF
)

// ou advances an Ornstein-Uhlenbeck random walk x with standard deviation
// sigma and correlation time tau by one step.
func ou(x, sigma, tau, g float64) float64 {
	return x - x*dt/tau + sigma*math.Sqrt(2*dt/tau)*g
}

// daylight is 0 at night and rises to 1 at 13:00 (sunrise 06:00, sunset 20:00).
func daylight(hour float64) float64 {
	if hour < 6 || hour > 20 {
		return 0
	}
	return math.Sin(math.Pi * (hour - 6) / 14)
}

// step advances the process by dt. hour is the simulated local time of day
// in hours; g draws this step's Gaussian noise of a channel.
func (p *process) step(hour float64, g func(ch uint64) float64) {
	light := daylight(hour)

	// Site: a daily temperature wave plus weather.
	p.ambWalk = ou(p.ambWalk, 1.5, 7200, g(chAmbWalk))
	p.ambient = p.ambientAt(hour)

	// Pump 1: flow falls with head (level); current follows flow.
	p.supply = ou(p.supply, 0.03, 600, g(chSupply))
	target := 0.0
	if p.running {
		target = pumpFlowMax * (1 - pumpHeadLoss*p.height/tankHeight) * (1 + p.supply)
		p.runFor += dt
		p.runHours += dt / 3600
		p.wear += wearRate * dt
	}
	p.qin += (target - p.qin) * dt / pumpFlowTau
	if p.running {
		load := 0.9 * p.qin / pumpFlowMax
		p.current = motorINoLoad + (motorIFull-motorINoLoad)*load +
			motorInrush*motorIFull*math.Exp(-p.runFor/inrushTau)
		rise := windingRise * (p.current / motorIFull) * (p.current / motorIFull)
		p.winding += (p.ambient + rise - p.winding) * dt / heatTau
	} else {
		p.current = 0
		p.winding += (p.ambient - p.winding) * dt / coolTau
	}
	if p.running && p.winding >= tripTemp {
		p.tripPump("winding overtemperature")
	}
	if p.running && p.vibration() >= tripVib {
		p.tripPump("bearing vibration")
	}

	// Tank 1: Torricelli outflow through the valve; PI on the outlet valve.
	p.qout = outletCv * p.valve / 100 * math.Sqrt(max(p.height, 0))
	p.height += (p.qin - p.qout) / tankArea * dt
	p.height = min(max(p.height, 0), tankHeight) // overflow spills above 100 %
	level := p.levelPct() + 0.05*g(chLevel)
	if p.auto {
		e := level - p.sp // reverse acting: a high level opens the outlet
		p.integ = min(max(p.integ+levelKp*dt/levelTi*e, 0), 100)
		p.ctlOut = min(max(levelKp*e+p.integ, 0), 100)
	}
	move := min(max(p.ctlOut-p.valve, -valveSlew*dt), valveSlew*dt)
	p.valve += move
	switch pct := p.levelPct(); {
	case pct >= switchHi:
		p.hiSwitch = true
	case pct < switchHi-switchHyst:
		p.hiSwitch = false
	}
	switch pct := p.levelPct(); {
	case pct <= switchLo:
		p.loSwitch = true
	case pct > switchLo+switchHyst:
		p.loSwitch = false
	}

	// Meter 1: pump 1 plus other loads that follow the working day.
	p.otherKW = ou(p.otherKW, 1.0, 600, g(chOther))
	p.gridWalk = ou(p.gridWalk, 2, 1800, g(chGrid))
	p.meter(light)
	p.energy += p.power * dt / 3600

	// Field 1: evapotranspiration dries the soil by day; hysteresis irrigation.
	p.weather = ou(p.weather, 0.2, 3*3600, g(chWeather))
	p.et = etNight + etPeak*light*min(max(1+p.weather, 0.2), 1.4)
	moist := p.moisture + 0.05*g(chMoist)
	if p.irrAuto {
		switch {
		case moist < p.msp-moistHyst:
			p.irrValve = true
		case moist > p.msp+moistHyst:
			p.irrValve = false
		}
	}
	ft := 0.0
	if p.irrValve {
		ft = irrFlow * (1 + 0.01*g(chIrrFlow))
	}
	p.irrFlow += (ft - p.irrFlow) * dt / irrFlowTau
	perHour := wetPerFlow*p.irrFlow - dryPerET*p.et*p.moisture/30 - drainRate*max(p.moisture-drainAbove, 0)
	p.moisture = min(max(p.moisture+perHour*dt/3600, 0), 50)
}

// meter computes the meter's power, voltage, power factor and current from
// the loads; light is the daylight factor.
func (p *process) meter(light float64) {
	other := max(otherBaseKW+otherDayKW*light+p.otherKW, 2)
	p.volts = mainsVolts - voltsPerKW*p.power + p.gridWalk
	pumpKW := sqrt3 * p.volts * p.current * pfPump / 1000
	p.power = pumpKW + other
	q := pumpKW*math.Tan(math.Acos(pfPump)) + other*math.Tan(math.Acos(pfOther))
	p.pf = p.power / math.Hypot(p.power, q)
	p.amps = p.power * 1000 / (sqrt3 * p.volts * p.pf)
}

// ambientAt is the daily temperature wave plus the weather's wander.
func (p *process) ambientAt(hour float64) float64 {
	return 18 + 7*math.Sin(2*math.Pi*(hour-9)/24) + p.ambWalk
}

func (p *process) levelPct() float64 { return 100 * p.height / tankHeight }

// vibration is the bearing's true vibration level without measurement noise.
func (p *process) vibration() float64 {
	if !p.running {
		return vibStopped
	}
	return vibBase + p.wear + 0.3*p.qin/pumpFlowMax
}

// tripPump stops pump 1 with a fault.
func (p *process) tripPump(why string) {
	p.running, p.fault, p.trip = false, true, why
}

// measure returns what the plant's instruments report for s now: the true
// value with this step's measurement noise (g), in engineering units;
// bools are 0 or 1.
func (p *process) measure(s sig, g func(ch uint64) float64) float64 {
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	switch s {
	case sTankLevel:
		return min(max(p.levelPct()+0.05*g(chLevel), 0), 100)
	case sTankLevelSP:
		return p.sp
	case sTankAuto:
		return b(p.auto)
	case sTankOutletValve:
		return p.valve
	case sTankInflow:
		return max(p.qin*3600*(1+0.005*g(chInflow)), 0)
	case sTankOutflow:
		return max(p.qout*3600*(1+0.005*g(chOutflow)), 0)
	case sTankHighSwitch:
		return b(p.hiSwitch)
	case sTankLowSwitch:
		return b(p.loSwitch)
	case sPumpRunning:
		return b(p.running)
	case sPumpStopped:
		return b(!p.running)
	case sPumpFault:
		return b(p.fault)
	case sPumpCurrent:
		if !p.running {
			return 0
		}
		return max(p.current+0.05*g(chCurrent), 0)
	case sPumpTemperature:
		return p.winding + 0.1*g(chTemp)
	case sPumpVibration:
		return max(p.vibration()+0.05*g(chVib), 0)
	case sPumpRunHours:
		return p.runHours
	case sMeterPower:
		return p.power
	case sMeterEnergy:
		return p.energy
	case sMeterVoltage:
		return p.volts + 0.3*g(chVolts)
	case sMeterCurrent:
		return p.amps
	case sMeterPowerFactor:
		return min(p.pf+0.002*g(chPF), 1)
	case sFieldMoisture:
		return min(max(p.moisture+0.05*g(chMoist), 0), 50)
	case sFieldMoistureSP:
		return p.msp
	case sFieldAuto:
		return b(p.irrAuto)
	case sFieldValve:
		return b(p.irrValve)
	case sFieldFlow:
		return max(p.irrFlow, 0)
	case sFieldET:
		return p.et
	case sSiteAmbient:
		return p.ambient + 0.1*g(chAmbient)
	}
	return math.NaN()
}
