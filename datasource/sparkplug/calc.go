package sparkplug

// CalcDevice is the Sparkplug device ID under which an edge node publishes
// the calculated tags (datasource/calc): they belong to no device of the
// project, and a Sparkplug metric must belong to a device. A write command
// to one is refused by the write path as to any read-only tag.
const CalcDevice = "calc"
