package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/history/audit"
	"github.com/vigil-hmi/vigil/history/audit/audittest"
)

func wctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestTheWritePathRunsTheSharedCases runs the cases every entry point
// must pass through the write path itself, once with typed values and once
// with text as typed.
func TestTheWritePathRunsTheSharedCases(t *testing.T) {
	audittest.Run(t, "typed", func(t *testing.T, b *audittest.Bench, c audittest.Case) error {
		_, err := b.Path.Write(wctx(t), b.Login(t, c.User), audit.Request{Tag: c.Tag, Value: c.Value, Via: "typed"})
		return err
	})
	audittest.Run(t, "text", func(t *testing.T, b *audittest.Bench, c audittest.Case) error {
		_, err := b.Path.Write(wctx(t), b.Login(t, c.User), audit.Request{Tag: c.Tag, Text: c.Text, Via: "text"})
		return err
	})
}

// TestTheWritePathAsksCriticalTagsForASignature writes a critical tag
// unsigned, signed with a wrong and the right password, and from another
// station, which cannot sign.
func TestTheWritePathAsksCriticalTagsForASignature(t *testing.T) {
	b := audittest.New(t)
	sp := b.Tag("Tank1.Drain")
	alice := b.Login(t, "alice")
	req := audit.Request{Tag: sp.Name, Value: datasource.Float(30), Via: "test"}
	if _, err := b.Path.Write(wctx(t), alice, req); !errors.Is(err, access.ErrReauthRequired) {
		t.Errorf("unsigned: %v", err)
	}
	req.Signature = "wrong horse"
	if _, err := b.Path.Write(wctx(t), alice, req); !errors.Is(err, access.ErrBadCredentials) {
		t.Errorf("wrong signature: %v", err)
	}
	remote := access.Remote{Dir: b.Users, Name: "alice", Station: "station viewer1"}
	if _, err := b.Path.Write(wctx(t), remote, req); !errors.Is(err, access.ErrSignatureRemote) {
		t.Errorf("from another station: %v", err)
	}
	req.Signature = audittest.Password
	if res, err := b.Path.Write(wctx(t), alice, req); err != nil || !res.Match {
		t.Errorf("signed: %+v %v", res, err)
	}
	want := []string{audit.StateRefused, audit.StateRefused, audit.StateRefused, audit.StateOK}
	recs := b.Records(t)
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		if recs[i].State != w {
			t.Errorf("record %d: %s %q, want %s", i, recs[i].State, recs[i].Message, w)
		}
	}
}

// TestTheWritePathRefusesWithoutAuditOrUser refuses every write without an
// audit trail, and records a write nobody asked for by name.
func TestTheWritePathRefusesWithoutAuditOrUser(t *testing.T) {
	b := audittest.New(t)
	off := audit.NewWritePath(b.Tags, b.Table, b.Engine, nil)
	if _, err := off.Write(wctx(t), b.Login(t, "alice"), audit.Request{Tag: "Tank1.LevelSP", Text: "42"}); !errors.Is(err, audit.ErrNoAudit) {
		t.Errorf("without audit: %v", err)
	}
	if _, err := b.Path.Write(wctx(t), nil, audit.Request{Tag: "Tank1.LevelSP", Text: "42"}); !errors.Is(err, audit.ErrNotLoggedIn) {
		t.Errorf("nobody: %v", err)
	}
	if recs := b.Records(t); len(recs) != 1 || recs[0].State != audit.StateRefused {
		t.Errorf("records %+v, want the refusal of the write nobody asked for", recs)
	}
}
