package query

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/vigil-dev/vigil/event"
)

// Count is a value of a field and the number of events that have it.
type Count struct {
	Value string
	N     int
}

// Tally counts events by the values of one field, as the stages
// "top N field" and "count by field" do (see FacetValues). The zero value
// is not usable: see NewTally.
type Tally struct {
	field  string
	counts map[string]int
}

// NewTally returns a tally of the field named by any name or alias.
func NewTally(field string) (*Tally, error) {
	name, ok := CanonicalField(field)
	if !ok {
		return nil, fmt.Errorf("tally: unknown field %q", field)
	}
	return &Tally{field: name, counts: map[string]int{}}, nil
}

// Add counts ev once under each of its values for the field. An event
// without a value is not counted.
func (t *Tally) Add(ev *event.Event) {
	for _, v := range FacetValues(ev, t.field) {
		t.counts[v]++
	}
}

// Counts returns every value with its count, largest count first, equal
// counts in the order of their values (byte-wise), so that the result is
// the same however the events arrived.
func (t *Tally) Counts() []Count {
	out := make([]Count, 0, len(t.counts))
	for v, n := range t.counts {
		out = append(out, Count{Value: v, N: n})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if c := cmp.Compare(b.N, a.N); c != 0 {
			return c
		}
		return cmp.Compare(a.Value, b.Value)
	})
	return out
}

// Top returns the first n of Counts.
func (t *Tally) Top(n int) []Count {
	c := t.Counts()
	if n < len(c) {
		c = c[:max(n, 0)]
	}
	return c
}
