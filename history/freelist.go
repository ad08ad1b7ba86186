package history

import (
	"reflect"
	"unsafe"

	"go.etcd.io/bbolt"
)

// freelistAllocsMax is how many allocations bbolt's freelist may remember
// before trimFreelist makes it forget them: about 1.2 MB of map.
const freelistAllocsMax = 1 << 15

// trimFreelist makes bbolt forget which transaction allocated each page it
// reused from its freelist, once it remembers more than most (the store's
// allocsMax: freelistAllocsMax).
//
// Why: bbolt (v1.4.3, and v1.5.0 alike) records the allocating transaction
// of every page run it takes from its freelist, in a map it deletes from
// only when that page is freed again. A history file's chunk pages are
// never freed, so the map grew with the file and never shrank: 265,000
// entries (9.6 MB of heap) after 4 hours of 10,000 tags, and the live heap
// of a 100,000-tag run crept by 9 MiB over 2 hours, without bound over
// days (docs/architecture.md, "The freelist's record of allocations").
//
// What is lost: bbolt uses the record for one thing, to reuse a page that
// was allocated and freed again while an older read transaction was open
// before that reader ends (releaseRange). A page whose allocation it does
// not know waits for the reader, as every page allocated before Open does.
// Reads here are short; an export holding a read open for seconds can at
// most delay the reuse of the pages freed meanwhile.
//
// bbolt has no API for it, so this reaches into its unexported fields by
// reflection: DB.freelist (an interface holding *array or *hashMap), its
// embedded *shared, and that one's allocs. If a bbolt release names them
// differently, the lookup fails and trimFreelist does nothing (it reports
// -1); TestTheFreelistsRecordOfAllocationsStaysBounded fails then. It must
// run inside a write transaction: bbolt changes the map only under its
// writer lock (allocating and freeing pages in a write transaction).
// It returns how many entries it dropped, 0 when under the bound.
func trimFreelist(db *bbolt.DB, most int) int {
	allocs, ok := freelistAllocs(db)
	if !ok {
		return -1
	}
	n := allocs.Len()
	if n <= most {
		return 0
	}
	// A new map, not clear(): a cleared Go map keeps its buckets.
	reflect.NewAt(allocs.Type(), unsafe.Pointer(allocs.UnsafeAddr())).Elem().Set(reflect.MakeMap(allocs.Type()))
	return n
}

// freelistAllocs finds bbolt's freelist.shared.allocs of db (see
// trimFreelist); ok is false when it is not there (a read-only db has no
// freelist, or bbolt's internals changed).
func freelistAllocs(db *bbolt.DB) (allocs reflect.Value, ok bool) {
	fl := reflect.ValueOf(db).Elem().FieldByName("freelist")
	if !fl.IsValid() || fl.Kind() != reflect.Interface || fl.IsNil() {
		return reflect.Value{}, false
	}
	impl := fl.Elem() // *array or *hashMap
	if impl.Kind() != reflect.Pointer || impl.IsNil() || impl.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	sh := impl.Elem().FieldByName("shared")
	if !sh.IsValid() || sh.Kind() != reflect.Pointer || sh.IsNil() || sh.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	allocs = sh.Elem().FieldByName("allocs")
	if !allocs.IsValid() || allocs.Kind() != reflect.Map || !allocs.CanAddr() {
		return reflect.Value{}, false
	}
	return allocs, true
}
