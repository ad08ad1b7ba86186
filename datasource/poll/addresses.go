package poll

import (
	"errors"

	"github.com/vigil-hmi/vigil/datasource"
)

// ParseAddresses is the common first step of a driver's Prepare: it parses
// the address of every tag but the system tags with parse and returns the
// tags that parsed with their parsed addresses, in order, and for the others
// one *datasource.TagError each (field "address"), joined.
func ParseAddresses[A any](tags []*datasource.Tag, parse func(address string) (A, error)) ([]*datasource.Tag, []A, error) {
	var (
		ok    []*datasource.Tag
		addrs []A
		errs  []error
	)
	for _, t := range tags {
		if t.System {
			continue
		}
		a, err := parse(t.Address)
		if err != nil {
			errs = append(errs, &datasource.TagError{Tag: t, Field: "address", Err: err})
			continue
		}
		ok = append(ok, t)
		addrs = append(addrs, a)
	}
	return ok, addrs, errors.Join(errs...)
}
