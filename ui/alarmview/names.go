package alarmview

import (
	"strings"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
)

// StateText is an alarm state as the operator reads it, not the journal's
// code: "Active, unacked" rather than "Unack", "Cleared, unacked" rather
// than "RTNUnack".
func StateText(s alarms.State) string {
	switch s {
	case alarms.Unack:
		return "Active, unacked"
	case alarms.Acked:
		return "Active, acked"
	case alarms.RTNUnack:
		return "Cleared, unacked"
	case alarms.Normal:
		return "Normal"
	}
	return s.String()
}

// TagText is the alarm's source as the operator reads it: the tag's name,
// or for the engine's own connection tag (_sys.<device>.connected) the
// device it stands for, "plc2 (device)", which is what is in alarm.
func TagText(tag string) string {
	if dev, ok := strings.CutPrefix(tag, datasource.SystemTagPrefix); ok {
		dev = strings.TrimSuffix(dev, ".connected")
		return dev + " (device)"
	}
	return tag
}

// NameText is the alarm's name, with the communication alarm of a device
// spelt out.
func NameText(a alarms.Alarm) string {
	if a.Kind == datasource.AlarmComm && a.Name == "Comm" {
		return "Communication"
	}
	return a.Name
}
