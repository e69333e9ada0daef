// Command kratos builds the Ory Kratos server from its Go module, so the
// project can run a real Kratos without Docker.
package main

import (
	"os"

	"github.com/ory/kratos/cmd"
)

func main() {
	os.Exit(cmd.Execute())
}
