package main

import "strings"

// dest is one destination of the soak.
type dest struct {
	ID   string `json:"id"`   // A, B, C
	Role string `json:"role"` // what it stands for
	Name string `json:"name"` // as onair prints it (key masked)
	url  string // with the key: only for onair's command line
	key  string
}

// destEvent is one line onair printed about a destination.
type destEvent struct {
	T    float64 `json:"t_s"`
	ID   string  `json:"id"`
	Line string  `json:"line"`
	Live bool    `json:"-"` // "destination …: live"
	Lost bool    `json:"-"` // "destination …: …; retrying in …"
}

// parseEvent reads onair's "destination NAME: …" lines.
func parseEvent(line string, t float64, dests []dest) (destEvent, bool) {
	for _, d := range dests {
		rest, ok := strings.CutPrefix(line, "destination "+d.Name+": ")
		if !ok {
			continue
		}
		return destEvent{T: t, ID: d.ID, Line: line, Live: rest == "live", Lost: strings.Contains(rest, "; retrying in ")}, true
	}
	return destEvent{}, false
}

func eventsOf(events []destEvent, id string) []destEvent {
	var out []destEvent
	for _, e := range events {
		if e.ID == id {
			out = append(out, e)
		}
	}
	return out
}

func countLive(events []destEvent) int {
	n := 0
	for _, e := range events {
		if e.Live {
			n++
		}
	}
	return n
}
