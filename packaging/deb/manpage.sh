#!/usr/bin/env bash
# trakt-widget(1) from the binary's own --help (the command and each subcommand), so the manual page
# can never drift from the CLI.   manpage.sh BINARY VERSION > trakt-widget.1
set -euo pipefail
BIN=${1:?binary} VERSION=${2:?version}

# Verbatim text in roff: escape backslashes, and keep lines starting with . or ' from being requests.
verbatim() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }

echo ".TH TRAKT-WIDGET 1 \"\" \"trakt-widget $VERSION\" \"User Commands\""
echo ".SH NAME"
echo "trakt-widget \\- last-watched widget backend, a FastCGI responder for nginx"
echo ".SH DESCRIPTION"
echo ".nf"
"$BIN" --help | verbatim
echo ".fi"
echo ".SH COMMANDS"
for sub in $("$BIN" --help | sed -n '/^SUBCOMMANDS:/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p'); do
  echo ".SS $sub"
  echo ".nf"
  "$BIN" help "$sub" | verbatim
  echo ".fi"
done
cat <<'ROFF'
.SH FILES
.TP
.I /etc/trakt-widget/env
Settings, one KEY=VALUE per line, read by trakt-widget.service.
.TP
.I /etc/credstore/trakt-widget.*
Secrets (TRAKT_CLIENT_SECRET, TRAKT_REFRESH_TOKEN, TMDB_API_KEY), loaded with LoadCredential=.
.TP
.I /var/lib/trakt-widget
State directory: the rotating token pair and the last good result.
.SH SEE ALSO
.BR systemctl (1),
.BR nginx (8)
ROFF
