package history_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
)

// Open a history file, append a tag's samples (in increasing time), and
// query them back: raw when there are at most maxPoints, else decimated.
func ExampleStore() {
	dir, err := os.MkdirTemp("", "history-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	store, err := history.Open(filepath.Join(dir, "history.db"), history.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	t0 := time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC)
	var batch []history.Sample
	for i := range 4 {
		batch = append(batch, history.Sample{Tag: "Tank1.Level", Time: t0.Add(time.Duration(i) * time.Minute),
			Value: 40 + float64(i), Quality: datasource.QualityGood})
	}
	if err := store.Append(batch); err != nil {
		fmt.Println(err)
		return
	}

	points, err := store.Query(context.Background(), "Tank1.Level", t0, t0.Add(time.Hour), 100)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range points {
		fmt.Printf("%s %.1f\n", p.Time.UTC().Format(time.TimeOnly), p.Value)
	}
	// Output:
	// 08:00:00 40.0
	// 08:01:00 41.0
	// 08:02:00 42.0
	// 08:03:00 43.0
}
