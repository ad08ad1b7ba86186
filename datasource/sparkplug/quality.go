package sparkplug

import "github.com/vigil-hmi/vigil/datasource"

// QualityProperty is the metric property that carries a value's quality as
// an OPC DA quality code (int32): 192 Good, 64 Uncertain, 0 Bad, with the
// sub-status bits for the reason. Ignition and other Sparkplug hosts read
// the same property.
const QualityProperty = "Quality"

// The OPC DA quality codes of Vigil's qualities. Stale has no DA code of its
// own; 0x48 is the free Uncertain sub-status Vigil uses for it.
var qualityCodes = map[datasource.Quality]int32{
	datasource.QualityGood: 0xC0,
	{Status: datasource.Good, Reason: datasource.LocalOverride}:      0xD8,
	datasource.UncertainQuality(datasource.ReasonNone):               0x40,
	datasource.UncertainQuality(datasource.LastKnown):                0x44,
	datasource.UncertainQuality(datasource.Stale):                    0x48,
	datasource.UncertainQuality(datasource.EngineeringUnitsExceeded): 0x54,
	datasource.UncertainQuality(datasource.SubNormal):                0x58,
	datasource.BadQuality(datasource.ReasonNone):                     0x00,
	datasource.BadQuality(datasource.ConfigError):                    0x04,
	datasource.BadQuality(datasource.NotConnected):                   0x08,
	datasource.BadQuality(datasource.DeviceFailure):                  0x0C,
	datasource.BadQuality(datasource.SensorFailure):                  0x10,
	datasource.BadQuality(datasource.LastKnown):                      0x14,
	datasource.BadQuality(datasource.CommFailure):                    0x18,
	datasource.BadQuality(datasource.OutOfService):                   0x1C,
	datasource.BadQuality(datasource.WaitingForInitialData):          0x20,
}

var qualityOfCode = func() map[int32]datasource.Quality {
	m := make(map[int32]datasource.Quality, len(qualityCodes))
	for q, c := range qualityCodes {
		m[c] = q
	}
	return m
}()

// QualityCode returns the OPC DA quality code of q; a reason without a code
// of its own gives the plain code of q's status.
func QualityCode(q datasource.Quality) int32 {
	if c, ok := qualityCodes[q]; ok {
		return c
	}
	return qualityCodes[datasource.Quality{Status: q.Status}]
}

// QualityOf returns the Vigil quality of an OPC DA quality code. Codes
// Vigil does not know keep their status (the two high bits) without a reason;
// codes above 0xFF (vendor extensions) are Bad.
func QualityOf(code int32) datasource.Quality {
	if q, ok := qualityOfCode[code]; ok {
		return q
	}
	switch {
	case code < 0 || code > 0xFF:
		return datasource.BadQuality(datasource.ReasonNone)
	case code&0xC0 == 0xC0:
		return datasource.QualityGood
	case code&0xC0 == 0x40:
		return datasource.UncertainQuality(datasource.ReasonNone)
	}
	return datasource.BadQuality(datasource.ReasonNone)
}
