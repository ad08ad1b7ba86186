package modbus

import (
	"sort"
)

// Span is what the planner needs to know of one tag: the table and the
// zero-based range it occupies, in registers (or bits for bit tables).
type Span struct {
	Table Table
	Start int // zero-based offset
	Len   int // registers or bits, >= 1
}

func (s Span) end() int { return s.Start + s.Len }

// Limits are a device's rules for grouping tags into read requests.
type Limits struct {
	MaxRegisters int // registers per FC3/FC4 read, 1..125
	MaxBits      int // bits per FC1/FC2 read, 1..2000
	// MaxGap is how many unused registers (or bits) a read may span between
	// tags: 0 reads only adjacent tags together; -1 never groups tags at
	// all (only tags with the very same span share a request).
	MaxGap int
}

func (l Limits) maxLen(t Table) int {
	if t.IsBits() {
		return clamp(l.MaxBits, 1, 2000)
	}
	return clamp(l.MaxRegisters, 1, 125)
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// Request is one planned read: a table, a start offset, a count and the
// indexes (into the planner's input) of the spans it covers.
type Request struct {
	Table Table
	Start int
	Count int
	Items []int
}

// PlanRequests groups spans into the fewest read requests such that every
// request stays within the table's limit, no span is split across requests
// and no request reads through a run of more than MaxGap unused units.
// Among plans with the fewest requests it picks one reading the fewest
// units. A span longer than the limit gets a request of its own (Prepare
// refuses such tags before planning). The result is ordered by table, then
// start. It is a pure function.
//
// Why this is minimal: sort the spans by (start, length). Some optimal plan
// covers only runs that are contiguous in that order (an out-of-order span
// can move into the request whose range already contains it without
// growing it), and a request's validity only depends on its run, so a
// dynamic programme over run boundaries finds the optimum.
func PlanRequests(spans []Span, lim Limits) []Request {
	var out []Request
	for t := Coils; t <= HoldingRegisters; t++ {
		var idx []int
		for i, s := range spans {
			if s.Table == t {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			continue
		}
		sort.SliceStable(idx, func(a, b int) bool {
			sa, sb := spans[idx[a]], spans[idx[b]]
			if sa.Start != sb.Start {
				return sa.Start < sb.Start
			}
			return sa.Len < sb.Len
		})
		out = append(out, planTable(t, spans, idx, lim.maxLen(t), lim.MaxGap)...)
	}
	return out
}

// planTable runs the dynamic programme over one table's sorted spans.
// best[k] is the cheapest plan (requests, then units) of the first k spans.
func planTable(t Table, spans []Span, idx []int, maxLen, maxGap int) []Request {
	type cost struct{ reqs, units int }
	n := len(idx)
	best := make([]cost, n+1)
	from := make([]int, n+1)
	for k := 1; k <= n; k++ {
		best[k] = cost{reqs: 1 << 30}
	}
	for j := 0; j < n; j++ {
		first := spans[idx[j]]
		end := first.end()
		for k := j; k < n; k++ {
			s := spans[idx[k]]
			if k > j {
				if maxGap < 0 && (s.Start != first.Start || s.Len != first.Len) {
					break
				}
				if s.Start-end > maxGap {
					break
				}
				if e := s.end(); e > end {
					if e-first.Start > maxLen {
						break
					}
					end = e
				}
			}
			c := cost{best[j].reqs + 1, best[j].units + end - first.Start}
			if c.reqs < best[k+1].reqs || (c.reqs == best[k+1].reqs && c.units < best[k+1].units) {
				best[k+1], from[k+1] = c, j
			}
		}
	}
	var reqs []Request
	for k := n; k > 0; k = from[k] {
		j := from[k]
		r := Request{Table: t, Start: spans[idx[j]].Start}
		end := 0
		for _, i := range idx[j:k] {
			r.Items = append(r.Items, i)
			end = max(end, spans[i].end())
		}
		r.Count = end - r.Start
		reqs = append(reqs, r)
	}
	for a, b := 0, len(reqs)-1; a < b; a, b = a+1, b-1 {
		reqs[a], reqs[b] = reqs[b], reqs[a]
	}
	return reqs
}
