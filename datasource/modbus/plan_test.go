package modbus

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

func TestPlanRequests(t *testing.T) {
	hr := func(start, n int) Span { return Span{Table: HoldingRegisters, Start: start, Len: n} }
	co := func(start int) Span { return Span{Table: Coils, Start: start, Len: 1} }
	tcp := Limits{MaxRegisters: 125, MaxBits: 2000, MaxGap: 16}
	tests := []struct {
		name  string
		spans []Span
		lim   Limits
		want  []Request
	}{
		{"adjacent registers make one request", []Span{hr(0, 2), hr(2, 2), hr(4, 1)}, tcp,
			[]Request{{HoldingRegisters, 0, 5, []int{0, 1, 2}}}},
		{"a gap of 16 is read through on TCP", []Span{hr(0, 1), hr(17, 1)}, tcp,
			[]Request{{HoldingRegisters, 0, 18, []int{0, 1}}}},
		{"a gap of 17 splits", []Span{hr(0, 1), hr(18, 1)}, tcp,
			[]Request{{HoldingRegisters, 0, 1, []int{0}}, {HoldingRegisters, 18, 1, []int{1}}}},
		{"max gap 0 reads only adjacent tags together", []Span{hr(0, 1), hr(1, 1), hr(3, 1)}, Limits{MaxRegisters: 125, MaxGap: 0},
			[]Request{{HoldingRegisters, 0, 2, []int{0, 1}}, {HoldingRegisters, 3, 1, []int{2}}}},
		{"max gap -1 never groups different addresses", []Span{hr(0, 1), hr(1, 1), hr(1, 1)}, Limits{MaxRegisters: 125, MaxGap: -1},
			[]Request{{HoldingRegisters, 0, 1, []int{0}}, {HoldingRegisters, 1, 1, []int{1, 2}}}},
		{"a float at 123..124 fits, one at 124..125 moves to the next request", []Span{hr(0, 2), hr(124, 2)}, tcp,
			[]Request{{HoldingRegisters, 0, 2, []int{0}}, {HoldingRegisters, 124, 2, []int{1}}}},
		{"a per-device maximum of 10 registers needs two requests for 12", []Span{hr(0, 4), hr(4, 4), hr(8, 4)}, Limits{MaxRegisters: 10, MaxGap: 16},
			[]Request{{HoldingRegisters, 0, 4, []int{0}}, {HoldingRegisters, 4, 8, []int{1, 2}}}},
		{"bit tags of one register share it", []Span{hr(5, 1), hr(5, 1), hr(5, 1)}, tcp,
			[]Request{{HoldingRegisters, 5, 1, []int{0, 1, 2}}}},
		{"a register inside a float is read once", []Span{hr(0, 2), hr(1, 1)}, tcp,
			[]Request{{HoldingRegisters, 0, 2, []int{0, 1}}}},
		{"coils group up to 2000 bits", []Span{co(0), co(1999)}, Limits{MaxRegisters: 125, MaxBits: 2000, MaxGap: 5000},
			[]Request{{Coils, 0, 2000, []int{0, 1}}}},
		{"of two plans with as few requests the one reading fewer bits wins", []Span{co(0), co(1999), co(2000)}, Limits{MaxRegisters: 125, MaxBits: 2000, MaxGap: 5000},
			[]Request{{Coils, 0, 1, []int{0}}, {Coils, 1999, 2, []int{1, 2}}}},
		{"tables never mix and come in table order", []Span{hr(0, 1), co(0), {Table: InputRegisters, Start: 0, Len: 1}}, tcp,
			[]Request{{Coils, 0, 1, []int{1}}, {InputRegisters, 0, 1, []int{2}}, {HoldingRegisters, 0, 1, []int{0}}}},
		{"no spans, no requests", nil, tcp, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := PlanRequests(tc.spans, tc.lim)
			if !slices.EqualFunc(got, tc.want, func(a, b Request) bool {
				return a.Table == b.Table && a.Start == b.Start && a.Count == b.Count && slices.Equal(a.Items, b.Items)
			}) {
				t.Fatalf("PlanRequests =\n%+v\nwant\n%+v", got, tc.want)
			}
			checkPlan(t, tc.spans, tc.lim, got)
		})
	}
}

// checkPlan verifies the rules every plan must keep: each span in exactly
// one request and inside it, limits, and the gap rule.
func checkPlan(t *testing.T, spans []Span, lim Limits, reqs []Request) {
	t.Helper()
	seen := make([]int, len(spans))
	for _, r := range reqs {
		if r.Count > lim.maxLen(r.Table) && len(r.Items) > 1 {
			t.Fatalf("request %+v is longer than %d", r, lim.maxLen(r.Table))
		}
		var group []Span
		for _, i := range r.Items {
			seen[i]++
			s := spans[i]
			if s.Table != r.Table || s.Start < r.Start || s.end() > r.Start+r.Count {
				t.Fatalf("span %+v is not inside request %+v", s, r)
			}
			group = append(group, s)
		}
		if !validGroup(group, lim) {
			t.Fatalf("request %+v breaks the gap rule (max gap %d)", r, lim.MaxGap)
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("span %d (%+v) is in %d requests", i, spans[i], n)
		}
	}
}

// validGroup is the definition of a request the brute force uses: one
// table, within the limit, and no run of unused units longer than MaxGap.
func validGroup(g []Span, lim Limits) bool {
	if len(g) <= 1 {
		return true
	}
	g = slices.Clone(g)
	sort.Slice(g, func(a, b int) bool { return g[a].Start < g[b].Start })
	end := g[0].end()
	for _, s := range g[1:] {
		if s.Table != g[0].Table {
			return false
		}
		if lim.MaxGap < 0 && (s.Start != g[0].Start || s.Len != g[0].Len) {
			return false
		}
		if s.Start-end > lim.MaxGap {
			return false
		}
		end = max(end, s.end())
	}
	return end-g[0].Start <= lim.maxLen(g[0].Table)
}

// bruteForce returns the fewest groups any partition of spans into valid
// groups needs, by trying every set partition.
func bruteForce(spans []Span, lim Limits) int {
	best := len(spans) + 1
	var groups [][]Span
	var rec func(i int)
	rec = func(i int) {
		if len(groups) >= best {
			return
		}
		if i == len(spans) {
			// Validity is checked on whole groups only: a later span may
			// fill a gap an earlier one left.
			for _, g := range groups {
				if !validGroup(g, lim) {
					return
				}
			}
			best = len(groups)
			return
		}
		for g := range groups {
			groups[g] = append(groups[g], spans[i])
			rec(i + 1)
			groups[g] = groups[g][:len(groups[g])-1]
		}
		groups = append(groups, []Span{spans[i]})
		rec(i + 1)
		groups = groups[:len(groups)-1]
	}
	rec(0)
	return best
}

func randomSpans(r *rand.Rand, n, width int) []Span {
	spans := make([]Span, n)
	lens := []int{1, 1, 2, 2, 4, 3}
	for i := range spans {
		t := HoldingRegisters
		if r.IntN(5) == 0 {
			t = Coils
		}
		l := lens[r.IntN(len(lens))]
		if t == Coils {
			l = 1
		}
		spans[i] = Span{Table: t, Start: r.IntN(width), Len: l}
	}
	return spans
}

func TestPlanRequestsIsMinimalOnRandomMaps(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 3000; round++ {
		n := 1 + r.IntN(8)
		spans := randomSpans(r, n, 10+r.IntN(30))
		lim := Limits{MaxRegisters: 4 + r.IntN(12), MaxBits: 4 + r.IntN(12), MaxGap: r.IntN(7) - 1}
		got := PlanRequests(spans, lim)
		checkPlan(t, spans, lim, got)
		if want := bruteForce(spans, lim); len(got) != want {
			t.Fatalf("round %d: %d requests for %+v with %+v, brute force finds %d: %+v", round, len(got), spans, lim, want, got)
		}
	}
}

func TestPlanRequestsKeepsRulesOnLargeMaps(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 200; round++ {
		spans := randomSpans(r, 50+r.IntN(500), 2000+r.IntN(8000))
		lim := Limits{MaxRegisters: 1 + r.IntN(125), MaxBits: 1 + r.IntN(2000), MaxGap: r.IntN(40) - 1}
		for i := range spans {
			spans[i].Len = min(spans[i].Len, lim.maxLen(spans[i].Table))
		}
		checkPlan(t, spans, lim, PlanRequests(spans, lim))
	}
}

// BenchmarkPlan reports the requests per cycle the planner needs on random
// maps of 1,000 tags (a mix of 1-, 2- and 4-register values and coils,
// 70 % dense) against one request per tag.
func BenchmarkPlan(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	spans := randomSpans(r, 1000, 3000)
	lim := Limits{MaxRegisters: 125, MaxBits: 2000, MaxGap: 16}
	var n int
	for b.Loop() {
		n = len(PlanRequests(spans, lim))
	}
	b.ReportMetric(float64(n), "requests/cycle")
	b.ReportMetric(float64(len(spans)), "requests/cycle-naive")
	b.ReportMetric(float64(len(spans))/float64(n), "tags/request")
	rtu := lim
	rtu.MaxGap = 0
	b.ReportMetric(float64(len(PlanRequests(spans, rtu))), "requests/cycle-gap0")
}
