package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
)

var histT0 = time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)

// historyFile makes a history file with two tags: "Tank1.Level" every 10 s
// for a minute with a Bad sample at 30 s, and `Pump "1"` (quoted in CSV) every 20 s.
func historyFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "history.db")
	s, err := history.Open(path, history.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var batch []history.Sample
	for i := range 6 {
		smp := history.Sample{Tag: "Tank1.Level", Time: histT0.Add(time.Duration(i) * 10 * time.Second), Value: 1.5 + float64(i)/10}
		if i == 3 {
			smp.Quality = datasource.BadQuality(datasource.NotConnected)
		}
		batch = append(batch, smp)
		if i%2 == 0 {
			batch = append(batch, history.Sample{Tag: "Pump \"1\"", Time: smp.Time, Value: float64(i / 2 % 2)})
		}
	}
	batch[1].Time = batch[1].Time.Add(500 * time.Millisecond)
	if err := s.Append(batch); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func runVerb(t *testing.T, verb func(context.Context, Env, []string) int, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = verb(context.Background(), Env{Stdout: &out, Stderr: &errb}, args)
	return code, out.String(), errb.String()
}

const wantWide = "time,Tank1.Level,\"Pump \"\"1\"\"\"\r\n" +
	"2026-11-28T06:00:00Z,1.5,\r\n" +
	"2026-11-28T06:00:00.5Z,,0\r\n" +
	"2026-11-28T06:00:10Z,1.6,\r\n" +
	"2026-11-28T06:00:20Z,1.7,1\r\n" +
	"2026-11-28T06:00:30Z,,\r\n" +
	"2026-11-28T06:00:40Z,1.9,0\r\n" +
	"2026-11-28T06:00:50Z,2,\r\n"

const wantLong = "time,tag,value,quality\r\n" +
	"2026-11-28T06:00:20Z,Tank1.Level,1.7,Good\r\n" +
	"2026-11-28T06:00:30Z,Tank1.Level,1.8,Bad/NotConnected\r\n" +
	"2026-11-28T06:00:40Z,Tank1.Level,1.9,Good\r\n" +
	"2026-11-28T06:00:20Z,\"Pump \"\"1\"\"\",1,Good\r\n" +
	"2026-11-28T06:00:40Z,\"Pump \"\"1\"\"\",0,Good\r\n"

func TestExportWritesCSV(t *testing.T) {
	path := historyFile(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"the wide format has a column per tag and leaves gaps empty", []string{path, "--tags", "Tank1.Level,Pump \"1\""}, wantWide},
		{"the long format has a row per sample with its quality", []string{"--long", path, "--tags", "Tank1.Level,Pump \"1\"", "--from", "2026-11-28T06:00:20Z", "--to", "2026-11-28T06:00:40Z"}, wantLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runVerb(t, cmdExport, tt.args...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if out != tt.want {
				t.Fatalf("CSV:\n%s\nwant:\n%s", out, tt.want)
			}
		})
	}
	t.Run("--out writes the file and --max-points decimates", func(t *testing.T) {
		outPath := filepath.Join(t.TempDir(), "out.csv")
		code, _, errs := runVerb(t, cmdExport, path, "--tags", "Tank1.Level", "--max-points", "4", "--out", outPath)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		b, err := os.ReadFile(outPath)
		if err != nil {
			t.Fatal(err)
		}
		// One bucket of a rising signal: first (= min), the gap, last (= max).
		if n := strings.Count(string(b), "\r\n"); n != 1+3 || !strings.Contains(string(b), "06:00:30Z,\r\n") {
			t.Fatalf("%d lines:\n%s", n, b)
		}
	})
}

func TestExportRefusesBadUsage(t *testing.T) {
	path := historyFile(t)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"--help exits 0", []string{"--help"}, ExitOK},
		{"a missing --tags is a usage error", []string{path}, ExitUsage},
		{"an unreadable time is a usage error", []string{path, "--tags", "Tank1.Level", "--from", "yesterday"}, ExitUsage},
		{"--to before --from is a usage error", []string{path, "--tags", "Tank1.Level", "--from", "2026-11-28", "--to", "2026-11-27"}, ExitUsage},
		{"a missing file is a failure", []string{filepath.Join(t.TempDir(), "none.db"), "--tags", "a"}, ExitFailure},
		{"a tag without history is a failure", []string{path, "--tags", "Tank1.Level,Tank1.Levle"}, ExitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, errs := runVerb(t, cmdExport, tt.args...); code != tt.want {
				t.Fatalf("exit %d, want %d: %s", code, tt.want, errs)
			}
		})
	}
}

func TestHistoryImportThenInfo(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	csvPath := filepath.Join(dir, "data.csv")
	csv := "time,tag,value,quality\n" +
		"2026-11-28T06:00:10Z,Flow,2.5\n" +
		"2026-11-28T06:00:00Z,Flow,2.25,Good\n" +
		"2026-11-28 06:00:20,Flow,,Bad/CommFailure\n" +
		"2026-11-28T06:00:00Z,Valve,true\n"
	if err := os.WriteFile(csvPath, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runVerb(t, cmdHistory, "import", db, csvPath)
	if code != ExitOK {
		t.Fatalf("import exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "4 rows, 2 tags: 4 samples stored, 0 skipped") {
		t.Fatalf("import said %q", out)
	}
	code, out, errs = runVerb(t, cmdHistory, "info", db)
	if code != ExitOK {
		t.Fatalf("info exit %d: %s", code, errs)
	}
	for _, want := range []string{"TAG", "Flow", "3", "2026-11-28T06:00:00Z", "2026-11-28T06:00:20Z", "Valve", "2 tags, 4 samples", "in free pages", "write amplification", "per day"} {
		if !strings.Contains(out, want) {
			t.Errorf("info output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "recorded until") {
		t.Errorf("an import is not a recording, but info says where one ended:\n%s", out)
	}
	t.Run("the imported samples export in order", func(t *testing.T) {
		_, out, _ := runVerb(t, cmdExport, db, "--tags", "Flow", "--long")
		want := "time,tag,value,quality\r\n2026-11-28T06:00:00Z,Flow,2.25,Good\r\n2026-11-28T06:00:10Z,Flow,2.5,Good\r\n2026-11-28T06:00:20Z,Flow,NaN,Bad/CommFailure\r\n"
		if out != want {
			t.Fatalf("got %q", out)
		}
	})
	t.Run("a bad row imports nothing and names the line", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.csv")
		if err := os.WriteFile(bad, []byte("2026-11-28T07:00:00Z,Flow,1\n2026-11-28T07:00:01Z,Flow,lots\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errs := runVerb(t, cmdHistory, "import", db, bad)
		if code != ExitFailure || !strings.Contains(errs, "bad.csv:2: value") {
			t.Fatalf("exit %d: %s", code, errs)
		}
	})
	t.Run("check and compact keep the file valid", func(t *testing.T) {
		if code, out, errs := runVerb(t, cmdHistory, "compact", db); code != ExitOK {
			t.Fatalf("compact exit %d: %s %s", code, out, errs)
		}
		if code, out, errs := runVerb(t, cmdHistory, "check", db); code != ExitOK || !strings.HasSuffix(out, ": ok\n") {
			t.Fatalf("check exit %d: %s %s", code, out, errs)
		}
	})
}

func TestHistoryVerbFailsNamingALockedFile(t *testing.T) {
	db := historyFile(t)
	s, err := history.Open(db, history.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	code, _, errs := runVerb(t, cmdHistory, "info", db)
	if code != ExitFailure || !strings.Contains(errs, db) || !strings.Contains(errs, "in use") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

func TestHistoryUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no command is a usage error", nil, ExitUsage},
		{"an unknown command is a usage error", []string{"shrink"}, ExitUsage},
		{"--help exits 0", []string{"--help"}, ExitOK},
		{"info --help exits 0", []string{"info", "--help"}, ExitOK},
		{"import needs two files", []string{"import", "h.db"}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, errs := runVerb(t, cmdHistory, tt.args...); code != tt.want {
				t.Fatalf("exit %d, want %d: %s", code, tt.want, errs)
			}
		})
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		want     time.Time
	}{
		{"an RFC 3339 time with a zone converts to UTC", "2026-11-28T08:00:00+02:00", time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)},
		{"a time without a zone is UTC", "2026-11-28T06:00:00", time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)},
		{"a date is its midnight UTC", "2026-11-27", time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)},
		{"-7d is a week ago", "-7d", now.Add(-7 * 24 * time.Hour)},
		{"-90m is an hour and a half ago", "-90m", now.Add(-90 * time.Minute)},
		{"now is now", "now", now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWhen(tt.in, now)
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("parseWhen(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestProgressBarRedrawsOnlyWhenThePercentageChanges(t *testing.T) {
	var b bytes.Buffer
	p := &progressBar{w: &b, last: -1}
	for _, f := range []float64{0, 0.001, 0.5, 0.5, 1} {
		p.update(f)
	}
	want := "\rexport [....................]   0%" +
		"\rexport [##########..........]  50%" +
		"\rexport [####################] 100%\n"
	if b.String() != want {
		t.Fatalf("drew %q, want %q", b.String(), want)
	}
}
