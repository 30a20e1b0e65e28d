// compose-check loads a compose file the way Docker Compose does (github.com/compose-spec/compose-go:
// interpolation from an env file, schema validation, then the loader's own consistency checks such
// as depends_on naming existing services and volumes being declared) and prints the resolved project
// as JSON. Used by tools/deploy/compose.deploy.spec.ts; built into .cache/ on first use.
//
//	compose-check <compose file> <env file> [profile...]
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: compose-check <compose file> <env file> [profile...]")
		os.Exit(64)
	}
	options, err := cli.NewProjectOptions(
		[]string{os.Args[1]},
		cli.WithEnvFiles(os.Args[2]),
		cli.WithDotEnv,
		cli.WithProfiles(os.Args[3:]),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := project.MarshalJSON()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}
