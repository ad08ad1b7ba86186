package opcua

import (
	"testing"

	"github.com/gopcua/opcua/ua"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestStatusCodesMapToQuality(t *testing.T) {
	tests := []struct {
		name string
		code ua.StatusCode
		want datasource.Quality
	}{
		{"Good is Good", ua.StatusOK, datasource.QualityGood},
		{"Good with the overflow info bit is Good", ua.StatusOK | 0x80, datasource.QualityGood},
		{"GoodLocalOverride is Good/LocalOverride", ua.StatusGoodLocalOverride, datasource.Quality{Reason: datasource.LocalOverride}},
		{"UncertainLastUsableValue is Uncertain/LastKnown", ua.StatusUncertainLastUsableValue, datasource.UncertainQuality(datasource.LastKnown)},
		{"UncertainSensorNotAccurate is Uncertain/SubNormal", ua.StatusUncertainSensorNotAccurate, datasource.UncertainQuality(datasource.SubNormal)},
		{"UncertainEngineeringUnitsExceeded with limit bits keeps its reason", ua.StatusUncertainEngineeringUnitsExceeded | 0x100, datasource.UncertainQuality(datasource.EngineeringUnitsExceeded)},
		{"plain Uncertain has no reason", ua.StatusUncertain, datasource.UncertainQuality(datasource.ReasonNone)},
		{"BadNodeIdUnknown is Bad/ConfigError", ua.StatusBadNodeIDUnknown, datasource.BadQuality(datasource.ConfigError)},
		{"BadTypeMismatch is Bad/ConfigError", ua.StatusBadTypeMismatch, datasource.BadQuality(datasource.ConfigError)},
		{"BadUserAccessDenied is Bad/ConfigError", ua.StatusBadUserAccessDenied, datasource.BadQuality(datasource.ConfigError)},
		{"BadNotConnected is Bad/CommFailure", ua.StatusBadNotConnected, datasource.BadQuality(datasource.CommFailure)},
		{"BadCommunicationError is Bad/CommFailure", ua.StatusBadCommunicationError, datasource.BadQuality(datasource.CommFailure)},
		{"BadWaitingForInitialData keeps its name", ua.StatusBadWaitingForInitialData, datasource.BadQuality(datasource.WaitingForInitialData)},
		{"BadOutOfService keeps its name", ua.StatusBadOutOfService, datasource.BadQuality(datasource.OutOfService)},
		{"BadSensorFailure keeps its name", ua.StatusBadSensorFailure, datasource.BadQuality(datasource.SensorFailure)},
		{"BadDeviceFailure is Bad/DeviceFailure", ua.StatusBadDeviceFailure, datasource.BadQuality(datasource.DeviceFailure)},
		{"an unlisted Bad code is Bad/DeviceFailure", ua.StatusBadInternalError, datasource.BadQuality(datasource.DeviceFailure)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quality(tt.code); got != tt.want {
				t.Fatalf("Quality(%v) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestStatusCodeIsTheInverseOfQuality(t *testing.T) {
	for _, q := range []datasource.Quality{
		datasource.QualityGood,
		{Reason: datasource.LocalOverride},
		datasource.UncertainQuality(datasource.LastKnown),
		datasource.UncertainQuality(datasource.EngineeringUnitsExceeded),
		datasource.UncertainQuality(datasource.SubNormal),
		datasource.BadQuality(datasource.ConfigError),
		datasource.BadQuality(datasource.CommFailure),
		datasource.BadQuality(datasource.DeviceFailure),
		datasource.BadQuality(datasource.OutOfService),
		datasource.BadQuality(datasource.SensorFailure),
		datasource.BadQuality(datasource.WaitingForInitialData),
	} {
		if got := Quality(StatusCode(q)); got != q {
			t.Errorf("Quality(StatusCode(%v)) = %v", q, got)
		}
	}
	if got := Quality(StatusCode(datasource.BadQuality(datasource.NotConnected))); got != datasource.BadQuality(datasource.CommFailure) {
		t.Errorf("Bad/NotConnected served and read back = %v, want Bad/CommFailure", got)
	}
}
