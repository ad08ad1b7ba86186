package opcua

import (
	"errors"

	"github.com/gopcua/opcua/ua"

	"github.com/vigil-hmi/vigil/datasource"
)

// Quality maps an OPC UA status code to Vigil's quality. The severity bits
// give the Status (Good, Uncertain, Bad); the code gives the Reason:
//
//	BadNodeIdUnknown, BadNodeIdInvalid, BadAttributeIdInvalid,
//	BadTypeMismatch, BadNotReadable, BadUserAccessDenied,
//	BadDataEncodingInvalid, BadIndexRangeInvalid, BadNotSupported,
//	BadConfigurationError, BadDataTypeIdUnknown      -> Bad/ConfigError
//	BadNotConnected, BadCommunicationError, BadNoCommunication,
//	BadServerNotConnected, BadConnectionClosed, BadTimeout,
//	BadSecureChannelClosed, BadSessionClosed, BadSessionIdInvalid
//	                                                   -> Bad/CommFailure
//	BadWaitingForInitialData                           -> Bad/WaitingForInitialData
//	BadOutOfService                                    -> Bad/OutOfService
//	BadSensorFailure                                   -> Bad/SensorFailure
//	any other Bad code                                 -> Bad/DeviceFailure
//	UncertainLastUsableValue                           -> Uncertain/LastKnown
//	UncertainEngineeringUnitsExceeded                  -> Uncertain/EngineeringUnitsExceeded
//	UncertainSubNormal, UncertainSensorNotAccurate     -> Uncertain/SubNormal
//	any other Uncertain code                           -> Uncertain
//	GoodLocalOverride                                  -> Good/LocalOverride
//	any other Good code                                -> Good
func Quality(code ua.StatusCode) datasource.Quality {
	c := code & 0xFFFF0000 // drop the info bits (limits, overflow)
	switch c >> 30 {
	case 0:
		if c == ua.StatusGoodLocalOverride {
			return datasource.Quality{Status: datasource.Good, Reason: datasource.LocalOverride}
		}
		return datasource.QualityGood
	case 1:
		switch c {
		case ua.StatusUncertainLastUsableValue:
			return datasource.UncertainQuality(datasource.LastKnown)
		case ua.StatusUncertainEngineeringUnitsExceeded:
			return datasource.UncertainQuality(datasource.EngineeringUnitsExceeded)
		case ua.StatusUncertainSubNormal, ua.StatusUncertainSensorNotAccurate:
			return datasource.UncertainQuality(datasource.SubNormal)
		}
		return datasource.UncertainQuality(datasource.ReasonNone)
	}
	switch c {
	case ua.StatusBadNodeIDUnknown, ua.StatusBadNodeIDInvalid, ua.StatusBadAttributeIDInvalid,
		ua.StatusBadTypeMismatch, ua.StatusBadNotReadable, ua.StatusBadUserAccessDenied,
		ua.StatusBadDataEncodingInvalid, ua.StatusBadIndexRangeInvalid, ua.StatusBadNotSupported,
		ua.StatusBadConfigurationError, ua.StatusBadDataTypeIDUnknown:
		return datasource.BadQuality(datasource.ConfigError)
	case ua.StatusBadNotConnected, ua.StatusBadCommunicationError, ua.StatusBadNoCommunication,
		ua.StatusBadServerNotConnected, ua.StatusBadConnectionClosed, ua.StatusBadTimeout,
		ua.StatusBadSecureChannelClosed, ua.StatusBadSessionClosed, ua.StatusBadSessionIDInvalid:
		return datasource.BadQuality(datasource.CommFailure)
	case ua.StatusBadWaitingForInitialData:
		return datasource.BadQuality(datasource.WaitingForInitialData)
	case ua.StatusBadOutOfService:
		return datasource.BadQuality(datasource.OutOfService)
	case ua.StatusBadSensorFailure:
		return datasource.BadQuality(datasource.SensorFailure)
	}
	return datasource.BadQuality(datasource.DeviceFailure)
}

// StatusCode maps a Vigil quality to the OPC UA status code a server reports
// for it; it is the inverse of Quality where Quality is one to one.
func StatusCode(q datasource.Quality) ua.StatusCode {
	switch q.Status {
	case datasource.Good:
		if q.Reason == datasource.LocalOverride {
			return ua.StatusGoodLocalOverride
		}
		return ua.StatusOK
	case datasource.Uncertain:
		switch q.Reason {
		case datasource.LastKnown, datasource.Stale:
			return ua.StatusUncertainLastUsableValue
		case datasource.EngineeringUnitsExceeded:
			return ua.StatusUncertainEngineeringUnitsExceeded
		case datasource.SubNormal:
			return ua.StatusUncertainSubNormal
		}
		return ua.StatusUncertain
	}
	switch q.Reason {
	case datasource.NotConnected:
		return ua.StatusBadNotConnected
	case datasource.CommFailure:
		return ua.StatusBadCommunicationError
	case datasource.DeviceFailure:
		return ua.StatusBadDeviceFailure
	case datasource.ConfigError:
		return ua.StatusBadConfigurationError
	case datasource.OutOfService:
		return ua.StatusBadOutOfService
	case datasource.SensorFailure:
		return ua.StatusBadSensorFailure
	case datasource.WaitingForInitialData:
		return ua.StatusBadWaitingForInitialData
	}
	return ua.StatusBad
}

// commFailure reports whether a request error means the link or session is
// gone (the engine must reconnect) rather than a refusal of this request.
func commFailure(err error) bool {
	var code ua.StatusCode
	if !errors.As(err, &code) {
		return true // io.EOF, net errors, context deadlines, protocol errors
	}
	return Quality(code).Reason == datasource.CommFailure ||
		code == ua.StatusBadSessionNotActivated || code == ua.StatusBadSecureChannelIDInvalid ||
		code == ua.StatusBadNoSubscription || code == ua.StatusBadSubscriptionIDInvalid ||
		code == ua.StatusBadTooManySessions || code == ua.StatusBadServerHalted ||
		code == ua.StatusBadShutdown || code == ua.StatusBadTCPInternalError || code == ua.StatusBad
}

// statusOf returns the status code an error carries, StatusBad when none.
func statusOf(err error) ua.StatusCode {
	var code ua.StatusCode
	if errors.As(err, &code) {
		return code
	}
	return ua.StatusBad
}
