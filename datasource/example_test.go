package datasource_test

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// The poll engine publishes a batch of samples; the table keeps each tag's
// current value for screens (Snapshot) and hands every batch to each
// subscription, which a consumer such as history or the alarm engine reads
// with Recv. Every sample comes out with its time: the source time it was
// published with, else the time of the publish.
func ExampleTable() {
	tags := []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Type: datasource.TypeFloat64},
		{ID: 1, Name: "Pump1.Running", Type: datasource.TypeBool},
	}
	table := datasource.NewTable(tags)
	sub := table.Subscribe("example", 16) // subscribe before publishing to see the first batch
	defer sub.Close()

	read := time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC) // the device's source time
	table.Publish([]datasource.Sample{
		{Tag: 0, Quality: datasource.QualityGood, Value: datasource.Float(42.5), Time: read},
		{Tag: 1, Quality: datasource.QualityGood, Value: datasource.Bool(true), Time: read},
	})

	for _, s := range table.Snapshot(nil, nil) {
		fmt.Printf("current %s = %v (%v)\n", tags[s.Tag].Name, s.Value, s.Quality)
	}
	got, err := sub.Recv(context.Background(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range got {
		fmt.Printf("received %s = %v at %s\n", tags[s.Tag].Name, s.Value, s.Time.UTC().Format(time.TimeOnly))
	}
	// Output:
	// current Tank1.Level = 42.5 (Good)
	// current Pump1.Running = true (Good)
	// received Tank1.Level = 42.5 at 08:00:00
	// received Pump1.Running = true at 08:00:00
}
