package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/onemap/onemap/auth"
)

// authCmd makes the secrets an auth file keeps: a bcrypt hash of a
// password read from standard input (never from the command line, where
// other users and the shell history would see it), or a new API key.
func authCmd(in io.Reader, out io.Writer, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("onemap auth hash-password | new-key ID")
	}
	switch args[0] {
	case "hash-password":
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("read password: %w", err)
		}
		h, err := auth.HashPassword(strings.TrimRight(line, "\r\n"))
		if err != nil {
			return err
		}
		fmt.Fprintln(out, h)
		return nil
	case "new-key":
		if len(args) != 2 {
			return fmt.Errorf("onemap auth new-key ID")
		}
		key, sum, err := auth.NewKey(args[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "key (give it to its holder once; onemap keeps only the hash): %s\n", key)
		fmt.Fprintf(out, "auth file entry: {\"id\": %q, \"name\": \"...\", \"sha256\": %q, \"roles\": [\"viewer\"]}\n", args[1], sum)
		return nil
	}
	return fmt.Errorf("unknown auth command %q: hash-password or new-key ID", args[0])
}
