package duration

import (
	"errors"
	"testing"
	"time"
)

func TestFormatWritesWhatAnOperatorReads(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{2 * time.Hour, "2 h"},
		{5 * time.Minute, "5 min"},
		{90 * time.Minute, "1 h 30 min"},
		{7 * 24 * time.Hour, "7 d"},
		{45 * time.Second, "45 s"},
		{24 * time.Hour, "24 h"},
		{50*time.Hour + 5*time.Minute, "2 d 2 h"},
		{48*time.Hour + 5*time.Second, "2 d"},
		{250 * time.Millisecond, "250 ms"},
	}
	for _, tc := range tests {
		if got := Format(tc.d); got != tc.want {
			t.Errorf("Format(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestParseReadsWhatFormatWritesAndWhatIsTyped(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"2 h", 2 * time.Hour}, {"2h", 2 * time.Hour}, {"1h30m", 90 * time.Minute},
		{"1 h 30 min", 90 * time.Minute}, {"90 minutes", 90 * time.Minute}, {"1.5 h", 90 * time.Minute},
		{" 7 d ", 7 * 24 * time.Hour}, {"45 s", 45 * time.Second},
	}
	for _, tc := range tests {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if back, err := Parse(Format(tc.want)); err != nil || back != tc.want {
			t.Errorf("Parse(Format(%v)) = %v, %v", tc.want, back, err)
		}
	}
	for _, bad := range []string{"", "30", "soon", "2 weeks", "h"} {
		if _, err := Parse(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want ErrSyntax", bad, err)
		}
	}
}
