// Command onair is the broadcasting studio: with no arguments it opens the
// studio window (the onair-studio program beside it); `onair live …` runs the
// same session headless.
package main

import (
	"fmt"
	"os"

	"onair/encoder/libav"
	"onair/internal/wire"
)

func main() {
	libav.LimitMallocArenas(2)
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "live":
			wire.Exit(runLive(os.Args[2:], os.Stdout, os.Stderr))
		case "check":
			wire.Exit(runCheck(os.Args[2:], os.Stdout, os.Stderr))
		case "devices":
			wire.Exit(runDevices(os.Args[2:], os.Stdout, os.Stderr))
		case "chat":
			wire.Exit(runChat(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
		case "help", "-h", "-help", "--help":
			usage()
			return
		default:
			fmt.Fprintf(os.Stderr, "onair: unknown command %q\n", os.Args[1])
			usage()
			wire.Exit(2)
		}
	}
	wire.Exit(runStudio(os.Stderr))
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  onair                 open the studio window
  onair live [flags]    broadcast headless (onair live -h for the flags)
  onair check [flags]   pre-flight: prove every destination and the program without going live (onair check -h)
  onair devices         list the cameras and microphones (--test-mic: check how the mic sounds)
  onair chat [flags]    every platform's chat and events merged in the terminal (onair chat -h)
`)
}
