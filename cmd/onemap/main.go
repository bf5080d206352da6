// Command onemap is the one binary of the land-resources "one map": it serves
// the map, tiles and queries, imports data and generates the demo dataset.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `onemap — the land-resources "one map" (国土资源"一张图")

Usage:
  onemap serve    [--addr :8080] [--data ./data/onemap.gpkg | --db URL] [--catalog FILE]
                  [--public-url URL] [--trusted-proxies CIDRs] [--max-body BYTES]
                  [--read-timeout 1m] [--write-timeout 2m] [--idle-timeout 2m]
                  [--auth FILE] [--demo] [--tls-cert FILE --tls-key FILE]
                  [--rate-limit 200] [--rate-burst 400] [--max-analyses N] [--request-timeout 1m]
  onemap fixtures [--seed 1] [--scale 50000] --data FILE [--manifest FILE]
  onemap fixtures [--seed 1] [--scale 50000] --db URL [--manifest FILE]
  onemap import   --layer ID [--data FILE | --db URL] [--repair] [--catalog FILE] FILE.geojson
  onemap migrate  --db URL [--catalog FILE]
  onemap auth     hash-password < password      (a bcrypt hash for the auth file)
  onemap auth     new-key ID                    (an API key and the SHA-256 the auth file keeps)

Every flag also reads ONEMAP_<FLAG> from the environment (ONEMAP_ADDR, ONEMAP_DATA, …).
"onemap COMMAND --help" lists a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = serve(ctx, log, args)
	case "fixtures":
		err = fixturesCmd(ctx, log, args)
	case "import":
		err = importCmd(ctx, log, args)
	case "migrate":
		err = migrateCmd(ctx, log, args)
	case "auth":
		err = authCmd(os.Stdin, os.Stdout, args)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) {
		return // the flag set printed its usage
	}
	if err != nil {
		log.Error(os.Args[1]+" failed", "err", err)
		os.Exit(1)
	}
}

// parseFlags parses args and then fills every flag not given on the command
// line from ONEMAP_<NAME> (upper case, - as _).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		env := "ONEMAP_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", env, v, e)
			}
		}
	})
	return err
}
