package inspector

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus"
)

// request is one read the inspector repeats: a device (an index into the
// inspector's devices), a first register or bit, and a count.
type request struct {
	dev   int
	start modbus.Address
	count int
}

// parseRequest checks what the engineer typed for dev. Its error is the
// message shown under the fields; nothing is sent while there is one.
func parseRequest(dev *datasource.Device, address, count string) (modbus.Address, int, error) {
	a, err := modbus.ParseAddress(address)
	if err != nil {
		return modbus.Address{}, 0, fmt.Errorf("address: %w", err)
	}
	if a.Bit != modbus.NoBit {
		whole := a
		whole.Bit = modbus.NoBit
		return modbus.Address{}, 0, fmt.Errorf("address %s is a bit of a register: give the register (%s) and read the bit in the BINARY column", strings.TrimSpace(address), whole.Modicon())
	}
	unit := a.Table.String() + "s"
	limit, setting := readLimit(dev, a.Table)
	n, err := strconv.Atoi(strings.TrimSpace(count))
	if err != nil {
		return modbus.Address{}, 0, fmt.Errorf("count %q: type a whole number of %s (1..%d)", count, unit, limit)
	}
	if n < 1 || n > limit {
		if limit < a.Table.MaxQuantity() {
			return modbus.Address{}, 0, fmt.Errorf("count %d: device %q reads 1..%d %s at once (%s)", n, dev.Name, limit, unit, setting)
		}
		return modbus.Address{}, 0, fmt.Errorf("count %d: one read takes 1..%d %s", n, limit, unit)
	}
	if int(a.Offset)+n > 65536 {
		return modbus.Address{}, 0, fmt.Errorf("count %d from %s runs past the last %s (offset 65535): at most %d here", n, a.Modicon(), a.Table, 65536-int(a.Offset))
	}
	return a, n, nil
}

// readLimit is how many registers (or bits) of table t one read of dev may
// take: the protocol's limit, or the device's smaller modbus.max_registers
// or modbus.max_bits, which it answers with an exception beyond.
func readLimit(dev *datasource.Device, t modbus.Table) (int, string) {
	limit := t.MaxQuantity()
	if t.IsBits() {
		if m := modbus.SettingsOf(dev).MaxBits; m > 0 && m < limit {
			return m, "modbus.max_bits"
		}
		return limit, ""
	}
	if m := modbus.SettingsOf(dev).MaxRegisters; m > 0 && m < limit {
		return m, "modbus.max_registers"
	}
	return limit, ""
}
