package guard

import (
	"errors"
	"fmt"
	"time"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/ui/alarmview"
)

// Alarms is the alarm engine as the window's alarm views use it, with every
// refused operator action (a viewer acknowledging, a shelve past the
// alarm's maximum, ...) recorded in the audit trail. Actions that succeed
// are recorded by the engine itself, in the same journal.
type Alarms struct {
	alarmview.Engine               // an *alarms.Engine, or a viewing station's mqtt.Board
	Auditor          AlarmRecorder // nil records nothing; the window passes its Trail
}

// AlarmRecorder records an alarm action in the audit trail. *audit.Auditor
// writes at once; the window's *Trail queues the record, so that the
// operator's click does not wait for the disk.
type AlarmRecorder interface {
	AlarmAction(user string, action alarms.Action, alarm, reason string, err error) error
}

// Ack acknowledges one alarm.
func (a Alarms) Ack(user string, id alarms.ID, comment string) error {
	return a.refused(user, alarms.ActionAck, id, comment, a.Engine.Ack(user, id, comment))
}

// AckMany acknowledges several alarms; each refusal is recorded.
func (a Alarms) AckMany(user string, ids []alarms.ID, comment string) error {
	err := a.Engine.AckMany(user, ids, comment)
	if err == nil || a.Auditor == nil {
		return err
	}
	// The alarms still unacknowledged are the refused ones, named from
	// one snapshot rather than a search per alarm.
	unacked := map[alarms.ID]string{}
	for _, al := range a.Active() {
		if !al.Acked {
			unacked[al.ID] = al.Tag + "/" + al.Name
		}
	}
	errs := []error{err}
	for _, id := range ids {
		if name, ok := unacked[id]; ok {
			errs = append(errs, a.recordNamed(user, alarms.ActionAck, name, comment, err))
		}
	}
	return errors.Join(errs...)
}

// Shelve shelves one alarm for d.
func (a Alarms) Shelve(user string, id alarms.ID, d time.Duration, reason string) error {
	return a.refused(user, alarms.ActionShelve, id, reason, a.Engine.Shelve(user, id, d, reason))
}

// Unshelve ends a shelving.
func (a Alarms) Unshelve(user string, id alarms.ID, reason string) error {
	return a.refused(user, alarms.ActionUnshelve, id, reason, a.Engine.Unshelve(user, id, reason))
}

// SetOutOfService takes an alarm out of service or returns it.
func (a Alarms) SetOutOfService(user string, id alarms.ID, on bool, reason string) error {
	action := alarms.ActionOutOfService
	if !on {
		action = alarms.ActionInService
	}
	return a.refused(user, action, id, reason, a.Engine.SetOutOfService(user, id, on, reason))
}

// refused records err, when there is one, and returns it with any failure
// to record it: a refusal nobody can trace must not pass silently.
func (a Alarms) refused(user string, action alarms.Action, id alarms.ID, reason string, err error) error {
	if err == nil || a.Auditor == nil {
		return err
	}
	if aerr := a.record(user, action, id, reason, err); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}

func (a Alarms) record(user string, action alarms.Action, id alarms.ID, reason string, err error) error {
	return a.recordNamed(user, action, a.name(id, err), reason, err)
}

// recordNamed records the refusal err of an action on the alarm named name.
func (a Alarms) recordNamed(user string, action alarms.Action, name, reason string, err error) error {
	if aerr := a.Auditor.AlarmAction(user, action, name, reason, err); aerr != nil {
		return fmt.Errorf("the refusal was not recorded in the audit trail: %w", aerr)
	}
	return nil
}

// name is the alarm's "Tag/Name" for the record.
func (a Alarms) name(id alarms.ID, err error) string {
	var perr *alarms.PermissionError
	if errors.As(err, &perr) {
		return perr.Alarm
	}
	for _, al := range a.Active() {
		if al.ID == id {
			return al.Tag + "/" + al.Name
		}
	}
	return fmt.Sprintf("#%d", id)
}
