package tagcsv

import (
	"fmt"
	"strings"
)

// genProject returns a valid project file with n tags of every shape the
// columns cover: scaled Modbus registers with limit alarms, digital tags
// with states, writable setpoints, strings, and alarms of the other kinds.
func genProject(n int) []byte {
	var b strings.Builder
	b.WriteString("# generated test project\nproject: Generated\ndevices:\n")
	b.WriteString("  - name: plant\n    driver: sim\n    scan_classes:\n      - {name: fast, rate: 250ms}\n      - {name: slow, rate: 5s}\n")
	b.WriteString("  - name: plc\n    driver: modbus\n    address: tcp://10.0.0.1:502\n")
	b.WriteString("tags:\n")
	for i := 0; i < n; i++ {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "  # meter %d\n  - name: M%d.Flow\n    description: Meter %d flow\n    group: Meters\n    device: plc\n    address: \"%d\"\n    type: int16\n    scaling: {raw: [0, 27648], eng: [0, 250]}\n    units: m3/h\n    decimals: 1\n    history: {deadband: 0.5, max_interval: 60s}\n    alarms:\n      - {kind: hihi, limit: 240, priority: critical}\n      - {kind: hi, limit: 200, deadband: 2, on_delay: 5s, message: Meter %d flow high}\n      - {kind: lo, limit: 10}\n", i, i, i, 40001+i%9000, i)
		case 1:
			fmt.Fprintf(&b, "  - name: P%d.Running\n    device: plant\n    address: pump%d.running\n    type: bool\n    states: {0: STOPPED, 1: RUNNING}\n    history: false\n    alarms:\n      - {kind: discrete, state: false, priority: low, name: Stopped}\n", i, i)
		case 2:
			fmt.Fprintf(&b, "  - name: T%d.SP\n    device: plant\n    address: tank%d.sp\n    units: \"%%\"\n    writable: true\n    limits: [0, 90]\n    scan_class: slow\n", i, i)
		case 3:
			fmt.Fprintf(&b, "  - {name: S%d.Serial, device: plc, address: \"3%04d\", type: string, length: 8}\n", i, i%9000+1)
		case 4:
			fmt.Fprintf(&b, "  - name: L%d.Level\n    device: plant\n    address: tank%d.level\n    span: [0, 12]\n    alarms:\n      - {kind: lolo, limit: 1, latching: true}\n      - {kind: rate_of_change, limit: 0.5, window: 30s}\n      - {kind: bad_quality, on_delay: 10s}\n", i, i)
		}
	}
	b.WriteString("users: []\n")
	return []byte(b.String())
}
