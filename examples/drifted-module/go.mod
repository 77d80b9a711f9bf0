module example.com/payments

go 1.22

require (
	github.com/google/uuid v1.6.0
	github.com/spf13/cobra v1.10.2
	golang.org/x/mod v0.42.0
)

require github.com/spf13/pflag v1.0.9 // indirect

replace github.com/spf13/cobra => ../cobra-fork
