// Command hydra builds the Ory Hydra server from its Go module, so the
// project can run a real Hydra without Docker.
package main

import "github.com/ory/hydra/v2/cmd"

func main() {
	cmd.Execute()
}
