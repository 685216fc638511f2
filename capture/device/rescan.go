package device

import (
	"fmt"
	"sync"

	"github.com/pion/mediadevices/pkg/driver"
)

// Our drivers by kind and label. mediadevices wraps a registered adapter
// and hides it (its Query returns the wrapper, whose method set is only
// Driver and the recorder), so Describe is found here, by label.
var own = struct {
	sync.Mutex
	drivers map[Kind]map[string]interface{ Describe() Info }
}{drivers: map[Kind]map[string]interface{ Describe() Info }{}}

// describer finds what can describe d: d itself, or our adapter behind it.
func describer(kind Kind, d driver.Driver) (interface{ Describe() Info }, bool) {
	if x, ok := d.(interface{ Describe() Info }); ok {
		return x, true
	}
	own.Lock()
	defer own.Unlock()
	x, ok := own.drivers[kind][d.Info().Label]
	return x, ok
}

// Rescan looks for devices of kind again (Linux has no hot-plug) and
// updates the registry: new ones are registered, gone ones removed, and
// those still there keep their place (an open one is not disturbed). The
// first call registers the devices: cmd/onair calls it at start.
func Rescan(kind Kind) error {
	switch kind {
	case Microphone:
		return rescanMics()
	case Camera:
		RegisterV4L2()
		return nil
	}
	return fmt.Errorf("device.Rescan: no driver of ours for kind %d", kind)
}

func rescanMics() error {
	var devs []micDevice
	// No sound system at all is not an error here: there are no microphones.
	if ctx, err := newMicContext(); err == nil {
		devs, err = scanMics(ctx)
		freeMicContext(ctx)
		if err != nil {
			return err
		}
	}
	own.Lock()
	defer own.Unlock()
	mine := own.drivers[Microphone]
	if mine == nil {
		mine = map[string]interface{ Describe() Info }{}
		own.drivers[Microphone] = mine
	}
	found := map[string]bool{}
	m := driver.GetManager()
	for _, dev := range devs {
		found[dev.label] = true
		if d, ok := mine[dev.label].(*micDriver); ok {
			d.update(dev)
			continue
		}
		prio := driver.PriorityNormal
		if dev.isDefault {
			prio = driver.PriorityHigh
		}
		d := &micDriver{dev: dev}
		if err := m.Register(d, driver.Info{Label: dev.label, Name: dev.name, DeviceType: driver.Microphone, Priority: prio}); err != nil {
			return fmt.Errorf("registering microphone %q: %w", dev.label, err)
		}
		mine[dev.label] = d
	}
	for _, d := range m.Query(driver.FilterDeviceType(driver.Microphone)) {
		label := d.Info().Label
		if _, ours := mine[label]; ours && !found[label] {
			_ = d.Close()
			m.Delete(d.ID())
			delete(mine, label)
		}
	}
	return nil
}
