package modbus_test

import (
	"fmt"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus"
)

// The planner groups tags into the fewest read requests the device
// accepts. Here five holding-register tags: two floats at 40001 and 40003,
// a word at 40010, a word at 40200 and a float at 40202, with at most 16
// unused registers read through between tags. The first three share one
// request (the gap 40005..40009 is read and thrown away, cheaper than a
// second round trip); 40200 is too far, so it starts the second request.
func ExamplePlanRequests() {
	hr := modbus.HoldingRegisters
	spans := []modbus.Span{
		{Table: hr, Start: 0, Len: 2},   // 40001, float32
		{Table: hr, Start: 2, Len: 2},   // 40003, float32
		{Table: hr, Start: 9, Len: 1},   // 40010, uint16
		{Table: hr, Start: 199, Len: 1}, // 40200, uint16
		{Table: hr, Start: 201, Len: 2}, // 40202, float32
	}
	for _, r := range modbus.PlanRequests(spans, modbus.Limits{MaxRegisters: 125, MaxBits: 2000, MaxGap: 16}) {
		fmt.Printf("FC%d hr:%d x%d serves spans %v\n", r.Table.ReadFunction(), r.Start, r.Count, r.Items)
	}
	// With MaxGap 0 only adjacent tags share a request: for devices that
	// answer an exception when a read touches an unmapped register (here
	// 40001..40004, 40010, 40200 and 40202..40203).
	fmt.Println(len(modbus.PlanRequests(spans, modbus.Limits{MaxRegisters: 125, MaxBits: 2000, MaxGap: 0})), "requests with max_gap 0")
	// Output:
	// FC3 hr:0 x10 serves spans [0 1 2]
	// FC3 hr:199 x4 serves spans [3 4]
	// 4 requests with max_gap 0
}

// A driver plans a device's tags from their project-file addresses with no
// I/O: this is what `vigil plan` prints. The coil and the input register
// are in other tables, so they get requests (and function codes) of their
// own.
func ExampleDriver_PreparePlan() {
	dev := &datasource.Device{Name: "plc1", Driver: "modbus", Address: "tcp://10.0.0.5:502",
		Settings: modbus.Settings{Unit: 1, MaxGap: 16}}
	d, err := modbus.New(dev)
	if err != nil {
		fmt.Println(err)
		return
	}
	tags := []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Address: "40001", Type: datasource.TypeFloat32},
		{ID: 1, Name: "Tank1.LevelSP", Address: "40003", Type: datasource.TypeFloat32},
		{ID: 2, Name: "Pump1.Run", Address: "00001", Type: datasource.TypeBool},
		{ID: 3, Name: "Flow1.Raw", Address: "ir:4", Type: datasource.TypeUint16},
	}
	plan, err := d.PreparePlan(tags)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range plan.Requests() {
		fmt.Printf("FC%d %s x%d:", r.Function, modbus.Address{Table: r.Table, Offset: uint16(r.Start), Bit: modbus.NoBit}.Modicon(), r.Count)
		for _, t := range r.Tags {
			fmt.Print(" ", t.Name)
		}
		fmt.Println()
	}
	// Output:
	// FC1 00001 x1: Pump1.Run
	// FC4 30005 x1: Flow1.Raw
	// FC3 40001 x4: Tank1.Level Tank1.LevelSP
}
