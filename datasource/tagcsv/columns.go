package tagcsv

import "strings"

// kind says how a column's cells are read, compared and written to YAML.
type kind uint8

const (
	kText     kind = iota // any string; written as a YAML string
	kName                 // the tag name
	kNumber               // a finite number
	kInteger              // an integer
	kBool                 // true or false
	kDuration             // a Go duration
	kEnum                 // one of a column's words
	kStates               // state texts: 0=STOPPED;1=RUNNING or a YAML flow mapping
	kAlarms               // alarms the other columns cannot express: a YAML flow list
	kCalc                 // a calculated tag's definition: an expression, or a YAML flow mapping
)

// column is one column of a Vigil tag CSV.
type column struct {
	name  string
	kind  kind
	words []string // kEnum: the allowed words, canonical spelling
}

// The column indexes. The order is the header order of an export.
const (
	cName = iota
	cDescription
	cGroup
	cDevice
	cAddress
	cType
	cWordOrder
	cLength
	cRawLo
	cRawHi
	cEngLo
	cEngHi
	cUnits
	cDecimals
	cSpanLo
	cSpanHi
	cStates
	cWritable
	cLimitsMin
	cLimitsMax
	cCritical
	cScanClass
	cHistory
	cHistDeadband
	cHistMaxInterval
	cAlarmGroups // first of the limit-alarm column groups (alarmKinds x alarmFields)
)

// limitKinds are the alarm kinds with a column group each, in column order.
var limitKinds = [...]string{"hihi", "hi", "lo", "lolo"}

// alarmFields are the fields of a limit alarm that have a column, in column
// order; an alarm with any other field goes to the alarms column.
var alarmFields = [...]string{"limit", "priority", "deadband", "on_delay", "off_delay", "message"}

// The per-field offsets inside an alarm column group.
const (
	afLimit = iota
	afPriority
	afDeadband
	afOnDelay
	afOffDelay
	afMessage
)

// cAlarms is the column of the alarms the column groups cannot express,
// cCalc that of a calculated tag's definition (docs/calc.md), and numCols
// the number of columns.
const (
	cAlarms = cAlarmGroups + len(limitKinds)*len(alarmFields)
	cCalc   = cAlarms + 1
	numCols = cCalc + 1
)

// alarmCol returns the column of field f of limit kind k.
func alarmCol(k, f int) int { return cAlarmGroups + k*len(alarmFields) + f }

var (
	dataTypes  = []string{"bool", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64", "string"}
	wordOrders = []string{"ABCD", "CDAB", "BADC", "DCBA"}
	priorities = []string{"low", "medium", "high", "critical"}
)

// columns describes every column, indexed by the constants above.
var columns = func() [numCols]column {
	var cs [numCols]column
	set := func(i int, name string, k kind, words ...string) { cs[i] = column{name: name, kind: k, words: words} }
	set(cName, "name", kName)
	set(cDescription, "description", kText)
	set(cGroup, "group", kText)
	set(cDevice, "device", kText)
	set(cAddress, "address", kText)
	set(cType, "type", kEnum, dataTypes...)
	set(cWordOrder, "word_order", kEnum, wordOrders...)
	set(cLength, "length", kInteger)
	set(cRawLo, "scaling_raw_lo", kNumber)
	set(cRawHi, "scaling_raw_hi", kNumber)
	set(cEngLo, "scaling_eng_lo", kNumber)
	set(cEngHi, "scaling_eng_hi", kNumber)
	set(cUnits, "units", kText)
	set(cDecimals, "decimals", kInteger)
	set(cSpanLo, "span_lo", kNumber)
	set(cSpanHi, "span_hi", kNumber)
	set(cStates, "states", kStates)
	set(cWritable, "writable", kBool)
	set(cLimitsMin, "limits_min", kNumber)
	set(cLimitsMax, "limits_max", kNumber)
	set(cCritical, "critical", kBool)
	set(cScanClass, "scan_class", kText)
	set(cHistory, "history", kBool)
	set(cHistDeadband, "history_deadband", kNumber)
	set(cHistMaxInterval, "history_max_interval", kDuration)
	for k, kn := range limitKinds {
		set(alarmCol(k, afLimit), kn+"_limit", kNumber)
		set(alarmCol(k, afPriority), kn+"_priority", kEnum, priorities...)
		set(alarmCol(k, afDeadband), kn+"_deadband", kNumber)
		set(alarmCol(k, afOnDelay), kn+"_on_delay", kDuration)
		set(alarmCol(k, afOffDelay), kn+"_off_delay", kDuration)
		set(alarmCol(k, afMessage), kn+"_message", kText)
	}
	set(cAlarms, "alarms", kAlarms)
	set(cCalc, "calc", kCalc)
	return cs
}()

// Header returns the header row of an export: every column, in order.
func Header() []string {
	h := make([]string, numCols)
	for i, c := range columns {
		h[i] = c.name
	}
	return h
}

// columnIndex returns the column named name (case and surrounding spaces do
// not matter: spreadsheets and people change both).
func columnIndex(name string) (int, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for i, c := range columns {
		if c.name == name {
			return i, true
		}
	}
	return 0, false
}

// simpleKeys maps the columns that are one scalar field of the tag to the
// field's key.
var simpleKeys = map[int]string{
	cDescription: "description", cGroup: "group", cDevice: "device", cAddress: "address",
	cType: "type", cWordOrder: "word_order", cLength: "length", cUnits: "units",
	cDecimals: "decimals", cWritable: "writable", cCritical: "critical", cScanClass: "scan_class",
}

// tagKeyOrder is the order of a tag's fields in docs/project-file.md; a field
// an import adds goes after the fields that precede it in this order.
var tagKeyOrder = []string{"name", "description", "group", "device", "address", "type", "word_order",
	"length", "scaling", "units", "decimals", "span", "states", "writable", "limits", "critical",
	"scan_class", "history", "alarms", "calc"}

// alarmKeyOrder is the order of an alarm's fields for the same purpose.
var alarmKeyOrder = []string{"kind", "name", "limit", "deadband", "on_delay", "off_delay", "priority",
	"message", "latching", "shelve_max", "state", "not_equal", "setpoint", "window", "horizon", "suppress_by"}

// groups are the columns that are written together: a pair or quadruple of
// numbers is given whole or not at all.
var groups = [][]int{
	{cRawLo, cRawHi, cEngLo, cEngHi},
	{cSpanLo, cSpanHi},
	{cLimitsMin, cLimitsMax},
}
