package modbus

import (
	"errors"
	"fmt"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// item is one tag in a plan.
type item struct {
	tag   *datasource.Tag
	slot  int // index of its sample in Read's output
	start int // offset in its table
	codec *codec
}

func (it *item) span() Span {
	return Span{Table: it.codec.addr.Table, Start: it.start, Len: it.codec.regs}
}

// block is one read request and the tags it serves.
type block struct {
	table        Table
	start, count int
	items        []*item // in (start, length) order
	refused      byte    // the exception code last logged for the block, 0 while it reads
}

// String names the block for messages: "holding registers 40001..40125 (hr:0 x125)".
func (b *block) String() string {
	first := Address{Table: b.table, Offset: uint16(b.start), Bit: NoBit}
	last := Address{Table: b.table, Offset: uint16(b.start + b.count - 1), Bit: NoBit}
	return fmt.Sprintf("%ss %s..%s (%s x%d)", b.table, first.Modicon(), last.Modicon(), first, b.count)
}

// decode checks a response's size and fills the samples of the block's tags.
func (b *block) decode(data []byte, out []datasource.Sample) error {
	want := 2 * b.count
	if b.table.IsBits() {
		want = (b.count + 7) / 8
	}
	if len(data) != want {
		return fmt.Errorf("%w: %d data bytes, want %d", ErrMalformedResponse, len(data), want)
	}
	for _, it := range b.items {
		out[it.slot] = datasource.Sample{Tag: it.tag.ID, Value: it.codec.decode(data, it.start-b.start)}
	}
	return nil
}

func (b *block) fail(out []datasource.Sample, r datasource.Reason) {
	for _, it := range b.items {
		out[it.slot] = datasource.Sample{Tag: it.tag.ID, Quality: datasource.BadQuality(r)}
	}
}

// split divides a block refused with an exception: first into its runs of
// adjacent tags (a gap that crossed an unmapped range is the usual cause),
// else into two halves. It returns nil when the block holds one span only.
func (b *block) split(lim Limits) []*block {
	spans := make([]Span, len(b.items))
	for i, it := range b.items {
		spans[i] = it.span()
	}
	lim.MaxGap = 0
	if reqs := PlanRequests(spans, lim); len(reqs) > 1 {
		return blocksOf(reqs, b.items)
	}
	n := len(b.items)
	cut := -1
	for c := 1; c < n; c++ { // the boundary between different spans nearest the middle
		if spans[c] != spans[c-1] && (cut < 0 || abs(c-n/2) < abs(cut-n/2)) {
			cut = c
		}
	}
	if cut < 0 {
		return nil
	}
	return []*block{newBlock(b.items[:cut]), newBlock(b.items[cut:])}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

func newBlock(items []*item) *block {
	b := &block{table: items[0].codec.addr.Table, start: items[0].start, items: items}
	end := 0
	for _, it := range items {
		end = max(end, it.start+it.codec.regs)
	}
	b.count = end - b.start
	return b
}

func blocksOf(reqs []Request, items []*item) []*block {
	blocks := make([]*block, len(reqs))
	for i, r := range reqs {
		b := &block{table: r.Table, start: r.Start, count: r.Count}
		for _, j := range r.Items {
			b.items = append(b.items, items[j])
		}
		blocks[i] = b
	}
	return blocks
}

// Plan is the Modbus driver's poll.Plan: the tags in sample order and the
// read requests that serve them. Read refines it when a block is refused
// (the split is remembered), so a Plan belongs to one driver.
type Plan struct {
	device string
	tags   []*datasource.Tag
	blocks []*block
}

// PlannedRequest describes one read request of a plan, for `vigil plan`.
type PlannedRequest struct {
	Function byte
	Table    Table
	Start    int // zero-based
	Count    int
	Tags     []*datasource.Tag
}

// Requests lists the plan's current read requests in order.
func (p *Plan) Requests() []PlannedRequest {
	out := make([]PlannedRequest, len(p.blocks))
	for i, b := range p.blocks {
		r := PlannedRequest{Function: b.table.ReadFunction(), Table: b.table, Start: b.start, Count: b.count}
		for _, it := range b.items {
			r.Tags = append(r.Tags, it.tag)
		}
		out[i] = r
	}
	return out
}

// Prepare parses the tags' addresses, compiles their decoders and plans the
// read requests, with no I/O. Its error joins one *datasource.TagError per
// refused tag; the returned plan still serves the other tags (refused tags
// read as Bad/ConfigError), so one typo does not stop a device.
func (d *Driver) Prepare(tags []*datasource.Tag) (poll.Plan, error) {
	p, err := d.prepare(tags)
	return p, err
}

func (d *Driver) prepare(tags []*datasource.Tag) (*Plan, error) {
	p := &Plan{device: d.dev.Name, tags: tags}
	var errs []error
	var items []*item
	var spans []Span
	for i, t := range tags {
		c, err := compile(t, d.settings.WordOrder, d.lim.maxLen(HoldingRegisters))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		it := &item{tag: t, slot: i, start: int(c.addr.Offset), codec: c}
		items = append(items, it)
		spans = append(spans, it.span())
	}
	p.blocks = blocksOf(PlanRequests(spans, d.lim), items)
	return p, errors.Join(errs...)
}

// PreparePlan is Prepare returning the concrete *Plan (for tools that print
// it).
func (d *Driver) PreparePlan(tags []*datasource.Tag) (*Plan, error) { return d.prepare(tags) }
