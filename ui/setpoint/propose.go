package setpoint

import (
	"fyne.io/fyne/v2"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// Propose asks the operator to confirm writing v, exactly as if it had
// been typed into the entry: the same confirmation (Cancel by default),
// the same write path and read-back, the result shown verbatim. A
// display's write button calls it on the tag's faceplate. It reports false,
// saying why on the faceplate, when this operator may not write the tag or
// the value is refused; nothing is written then.
func (f *Faceplate) Propose(v datasource.Value) bool {
	var why string
	switch {
	case f.deps.Writer == nil || !f.deps.CanWrite || !f.tag.Writable:
		why = "you may not write " + f.tag.Name
	default:
		if err := poll.CheckValue(f.tag, v); err != nil {
			why = refusal(f.tag, err)
		}
	}
	if why == "" {
		f.askConfirm(v)
		return true
	}
	f.result.SetText(why + "; nothing was written")
	if box, ok := f.content.(*fyne.Container); ok && !contains(box.Objects, f.result) {
		box.Add(f.result) // the result line is only built for writers
		f.fit()
	}
	return false
}

func contains(objs []fyne.CanvasObject, o fyne.CanvasObject) bool {
	for _, x := range objs {
		if x == o {
			return true
		}
	}
	return false
}
