package alarmview

import (
	"context"
	"time"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/history"
)

// Engine is the part of *alarms.Engine the alarm views use.
type Engine interface {
	Active() []alarms.Alarm
	Summary() alarms.Summary
	Version() uint64
	Ack(user string, id alarms.ID, comment string) error
	AckMany(user string, ids []alarms.ID, comment string) error
	Shelve(user string, id alarms.ID, d time.Duration, reason string) error
	Unshelve(user string, id alarms.ID, reason string) error
	SetOutOfService(user string, id alarms.ID, on bool, reason string) error
	KPI(ctx context.Context) (alarms.KPI, error)
}

// Journal searches the event journal; *history.Store satisfies it.
type Journal interface {
	Events(ctx context.Context, from, to time.Time, filter string, limit int) ([]history.Event, error)
}

// The real engine and store satisfy the interfaces.
var (
	_ Engine  = (*alarms.Engine)(nil)
	_ Journal = (*history.Store)(nil)
)
