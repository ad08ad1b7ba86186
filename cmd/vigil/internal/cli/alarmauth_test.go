package cli

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
)

// TestAlarmActionsNeedTheirPermission checks each alarm action as an
// operator, who may acknowledge and shelve but not take an alarm out of
// service, and an unknown action.
func TestAlarmActionsNeedTheirPermission(t *testing.T) {
	dir := access.New(filepath.Join(t.TempDir(), "p.users.yaml"), access.Options{Hash: access.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if err := dir.Add("alice", access.Operator, nil, "correct horse"); err != nil {
		t.Fatal(err)
	}
	if _, err := dir.Authenticate("alice", "correct horse"); err != nil {
		t.Fatal(err)
	}
	a := alarmAuthorizer{dir: dir}
	tank := &datasource.Tag{Name: "Tank1.Level", Group: "Tanks"}
	for action, allowed := range map[alarms.Action]bool{
		alarms.ActionAck: true, alarms.ActionReset: true, alarms.ActionShelve: true, alarms.ActionUnshelve: true,
		alarms.ActionOutOfService: false, alarms.ActionInService: false,
	} {
		err := a.Authorize("alice", action, tank)
		if allowed && err != nil || !allowed && !errors.Is(err, access.ErrPermission) {
			t.Errorf("%s: %v (allowed: %v)", action, err, allowed)
		}
	}
	if err := a.Authorize("alice", "explode", tank); err == nil {
		t.Error("an unknown action was allowed")
	}
}
