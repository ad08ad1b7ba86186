// Package spb is the Go code protoc generates from the Sparkplug B payload
// schema (sparkplug_b.proto). Only the sparkplug package uses it; everyone
// else sees sparkplug.Payload.
package spb

//go:generate protoc --go_out=. --go_opt=paths=source_relative sparkplug_b.proto
