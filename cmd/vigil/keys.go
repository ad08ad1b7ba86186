package main

import (
	"reflect"
	"strconv"
	"unsafe"

	"fyne.io/fyne/v2"
	"github.com/go-gl/glfw/v3.3/glfw"
)

// windowKeys routes every key press of win through handle before Fyne sees
// it, and reports whether it could. Fyne hands a key without a modifier to
// the focused widget only, and a focused check box, select, button or entry
// swallows F2..F11; Ctrl+F goes to a focused entry's own shortcuts. A
// control room needs its function keys to work whatever was clicked last
// (issue 16 item 2), and Fyne 2.7 has no window-level key hook, so this
// chains a callback in front of Fyne's own on the GLFW window: what handle
// accepts (it returns true) never reaches Fyne, with its repeats and
// release; everything else goes on to Fyne unchanged.
//
// The GLFW window is Fyne's unexported field "viewport": it is looked up by
// reflection and checked for its type, so a Fyne that renames or retypes it
// makes this return false (the shell then still gets the keys no widget
// took) instead of misbehaving. The end-to-end test presses F9 after a
// check box was clicked and F3 while an entry has the focus, so a Fyne
// upgrade that breaks this fails there. Call it on the UI goroutine after
// win was shown.
func windowKeys(win fyne.Window, handle func(fyne.KeyName, fyne.KeyModifier) bool) bool {
	vp := viewport(win)
	if vp == nil {
		return false
	}
	taken := map[glfw.Key]bool{} // pressed keys handle took: their repeats and release are ours too
	var next glfw.KeyCallback
	next = vp.SetKeyCallback(func(gw *glfw.Window, key glfw.Key, scancode int, action glfw.Action, mods glfw.ModifierKey) {
		switch action {
		case glfw.Press:
			if name := keyName(key); name != "" && handle(name, modifiers(mods)) {
				taken[key] = true
				return
			}
		case glfw.Repeat:
			if taken[key] {
				return // a held F9 acknowledges once
			}
		case glfw.Release:
			if taken[key] {
				delete(taken, key)
				return
			}
		}
		if next != nil {
			next(gw, key, scancode, action, mods)
		}
	})
	return true
}

// viewport returns the GLFW window behind win, nil when win is not a shown
// window of Fyne's GLFW driver.
func viewport(win fyne.Window) *glfw.Window {
	v := reflect.ValueOf(win)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("viewport")
	if !f.IsValid() || f.Type() != reflect.TypeOf((*glfw.Window)(nil)) || !f.CanAddr() {
		return nil
	}
	return *(**glfw.Window)(unsafe.Pointer(f.UnsafeAddr()))
}

// keyName names the keys the shell's shortcuts use; "" for the others.
func keyName(k glfw.Key) fyne.KeyName {
	switch {
	case k >= glfw.KeyF1 && k <= glfw.KeyF12:
		return fyne.KeyName("F" + strconv.Itoa(int(k-glfw.KeyF1)+1))
	case k >= glfw.KeyA && k <= glfw.KeyZ:
		return fyne.KeyName(rune(k))
	}
	return ""
}

// modifiers converts GLFW's modifier bits to Fyne's.
func modifiers(m glfw.ModifierKey) fyne.KeyModifier {
	var out fyne.KeyModifier
	if m&glfw.ModShift != 0 {
		out |= fyne.KeyModifierShift
	}
	if m&glfw.ModControl != 0 {
		out |= fyne.KeyModifierControl
	}
	if m&glfw.ModAlt != 0 {
		out |= fyne.KeyModifierAlt
	}
	if m&glfw.ModSuper != 0 {
		out |= fyne.KeyModifierSuper
	}
	return out
}

// position returns the window's position on the desktop, ok false when it
// is not known.
func position(win fyne.Window) (x, y int, ok bool) {
	vp := viewport(win)
	if vp == nil {
		return 0, 0, false
	}
	x, y = vp.GetPos()
	return x, y, true
}

// setPosition moves the window to x, y (on the monitor it was on).
func setPosition(win fyne.Window, x, y int) {
	if vp := viewport(win); vp != nil {
		vp.SetPos(x, y)
	}
}

// fitWorkarea shrinks win to the work area of the monitor it is on when it
// is larger, and moves it inside: the default 1280×800 on a 1024×768 panel
// PC, or a size kept from a larger monitor, would otherwise leave the
// status line and the screen's lower part off the screen. Sizes are GLFW's
// screen coordinates, frame included. Call it on the UI goroutine after win
// was shown.
func fitWorkarea(win fyne.Window) {
	vp := viewport(win)
	if vp == nil {
		return
	}
	x, y := vp.GetPos()
	w, h := vp.GetSize()
	left, top, right, bottom := vp.GetFrameSize()
	var area [4]int // x, y, width, height
	found := false
	for _, m := range glfw.GetMonitors() {
		ax, ay, aw, ah := m.GetWorkarea()
		// The monitor the window's top left corner is on; else the first.
		if !found || (x >= ax && x < ax+aw && y >= ay && y < ay+ah) {
			area, found = [4]int{ax, ay, aw, ah}, true
		}
	}
	if !found || area[2] <= 0 || area[3] <= 0 {
		return
	}
	fw, fh := min(w, area[2]-left-right), min(h, area[3]-top-bottom)
	if fw != w || fh != h {
		// Through Fyne, which keeps the canvas's size: a size set on the
		// GLFW window alone is undone by Fyne's next layout. Fyne's units
		// are screen coordinates over the canvas's scale.
		scale := win.Canvas().Scale()
		if scale <= 0 {
			scale = 1
		}
		win.Resize(fyne.NewSize(float32(fw)/scale, float32(fh)/scale))
	}
	nx := min(max(x, area[0]+left), area[0]+area[2]-right-fw)
	ny := min(max(y, area[1]+top), area[1]+area[3]-bottom-fh)
	if nx != x || ny != y {
		vp.SetPos(nx, ny)
	}
}
