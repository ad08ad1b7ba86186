package poll

import (
	"context"
	"errors"
	"testing"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestCalculatedTagsAreReadOnly(t *testing.T) {
	tag := &datasource.Tag{Name: "Pump1.SpecificEnergy", Type: datasource.TypeFloat64,
		Calc: &datasource.CalcDef{Kind: datasource.CalcExpr, Expr: "Pump1.Power / Pump1.Flow"}}
	tags := []*datasource.Tag{tag}
	e, err := New(Config{Tags: tags, Table: datasource.NewTable(tags), StaleCheck: -1})
	if err != nil {
		t.Fatalf("an engine with a calculated tag and no device for it: %v", err)
	}
	_, err = e.Write(context.Background(), WriteRequest{Tag: 0, Value: datasource.Float(1), User: "op"})
	if !errors.Is(err, ErrNotWritable) {
		t.Fatalf("write to a calculated tag: %v, want ErrNotWritable", err)
	}
	const want = "Pump1.SpecificEnergy is a calculated tag (expr) and is read-only; nothing was written"
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}
