package datasource

import (
	"fmt"
	"testing"
)

func TestTagIndexFindsEveryTagAndNothingElse(t *testing.T) {
	var tags []*Tag
	for _, name := range []string{"Tank2.Level", "A", "Tank1.Level", "Tank10.Level", "Z.z", "Tank1.Levels", ""} {
		tags = append(tags, &Tag{ID: TagID(len(tags)), Name: name})
	}
	tags = append(tags, nil) // skipped
	x := NewTagIndex(tags)
	for _, want := range tags {
		if want == nil || want.Name == "" {
			continue
		}
		if got, ok := x.Lookup(want.Name); !ok || got != want {
			t.Errorf("Lookup(%q) = %v, %v; want tag %d", want.Name, got, ok, want.ID)
		}
	}
	for _, name := range []string{"Tank1.Leve", "Tank3.Level", "0", "ZZ", "a", "Tank1.Level "} {
		if got, ok := x.Lookup(name); ok {
			t.Errorf("Lookup(%q) = tag %d, want none", name, got.ID)
		}
	}
	if got, ok := x.Lookup(""); ok {
		t.Errorf("Lookup(\"\") = tag %d: a tag without a name is not found by it", got.ID)
	}
	if got, ok := (TagIndex{}).Lookup("A"); ok || got != nil {
		t.Errorf("the zero TagIndex found %v", got)
	}
}

// Two tags of one name: the later wins, as in a map filled in order.
func TestTagIndexFindsTheLaterOfTwoTagsOfOneName(t *testing.T) {
	var tags []*Tag
	for i := range 5 {
		tags = append(tags, &Tag{ID: TagID(i), Name: fmt.Sprint("T", i%2)})
	}
	x := NewTagIndex(tags)
	if got, _ := x.Lookup("T0"); got != tags[4] {
		t.Errorf("Lookup(T0) = tag %d, want 4", got.ID)
	}
	if got, _ := x.Lookup("T1"); got != tags[3] {
		t.Errorf("Lookup(T1) = tag %d, want 3", got.ID)
	}
}

func BenchmarkTagIndexLookup(b *testing.B) {
	tags := make([]*Tag, 100000)
	for i := range tags {
		tags[i] = &Tag{ID: TagID(i), Name: fmt.Sprintf("Dev%03d.Tag%04d", i/1000, i%1000)}
	}
	x := NewTagIndex(tags)
	i := 0
	for b.Loop() {
		if _, ok := x.Lookup(tags[i%len(tags)].Name); !ok {
			b.Fatal("not found")
		}
		i += 7919
	}
}
