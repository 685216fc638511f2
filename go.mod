module onair

go 1.26

require (
	github.com/asticode/go-astiav v0.16.0
	github.com/haivision/srtgo v0.0.0-20230627061225-a70d53fcd618
	golang.org/x/image v0.24.0
)

require (
	fyne.io/fyne/v2 v2.7.3 // indirect
	github.com/asticode/go-astikit v0.42.0 // indirect
	github.com/mattn/go-pointer v0.0.1 // indirect
	github.com/stretchr/testify v1.11.1 // indirect
	golang.org/x/sys v0.30.0 // indirect
)
