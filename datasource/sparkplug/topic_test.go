package sparkplug

import "testing"

func TestTopicsParseAndRenderTheSparkplugNamespace(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want Topic
	}{
		{"a node birth", "spBv1.0/plant/NBIRTH/station1", Topic{Group: "plant", Type: NBIRTH, Node: "station1"}},
		{"a device data message", "spBv1.0/plant/DDATA/station1/PLC-1", Topic{Group: "plant", Type: DDATA, Node: "station1", Device: "PLC-1"}},
		{"a device command", "spBv1.0/g/DCMD/n/d", Topic{Group: "g", Type: DCMD, Node: "n", Device: "d"}},
		{"a host state", "spBv1.0/STATE/scada-1", Topic{Type: STATE, HostID: "scada-1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseTopic(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("ParseTopic = %+v, want %+v", got, c.want)
			}
			if got.String() != c.in {
				t.Errorf("String = %q, want %q", got.String(), c.in)
			}
		})
	}
}

func TestTopicsOutsideTheRulesAreRefused(t *testing.T) {
	for _, in := range []string{
		"", "spBv1.0", "spAv1.0/g/NBIRTH/n", "spBv1.0/g/NBIRTH", "spBv1.0/g/NBIRTH/n/d",
		"spBv1.0/g/DDATA/n", "spBv1.0/g/HELLO/n", "spBv1.0/g/DDATA/n/d/extra",
		"spBv1.0//NDATA/n", "spBv1.0/g/NDATA/", "spBv1.0/STATE", "spBv1.0/STATE/a/b",
		"spBv1.0/g+/NDATA/n", "spBv1.0/g/NDATA/n#", "spBv1.0/g/NDATA/\xff",
	} {
		if tp, err := ParseTopic(in); err == nil {
			t.Errorf("ParseTopic(%q) = %+v, want an error", in, tp)
		}
	}
}

func TestNodeFilterCoversEveryMessageOfTheNode(t *testing.T) {
	if got := NodeFilter("plant", "station1"); got != "spBv1.0/plant/+/station1/#" {
		t.Errorf("NodeFilter = %q", got)
	}
}
