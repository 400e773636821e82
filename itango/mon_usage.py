"""The text of ``%mon``'s help: what ``%mon?`` and ``%mon -h`` show.

Kept apart from itango.monitor so that the magic's docstring (read by ``%mon?``) is there from
the start without importing the monitor, whose imports the first prompt need not wait for.
"""

from __future__ import annotations

__all__ = ["USAGE", "DOC"]

USAGE = """\
%mon                                   show monitored attributes: last value, quality, trend
%mon -a <dev>/<attr> [-t TYPE]         monitor an attribute (or an attribute alias); TYPE:
                                       change, periodic, archive, user.  Without -t: change
                                       events, else periodic ones, and when its server sends
                                       no events (not polled...) %mon reads it every second
                                       itself (shown as client-polled)
        [--period SECONDS]             how often %mon reads it itself (default 1; 500ms too)
        [--server-poll SECONDS]        have its server poll it (and set the change criteria
                                       events need); %mon -d puts that back
%mon -d <dev>/<attr>                   stop monitoring an attribute (and undo --server-poll)
%mon -r                                stop monitoring every attribute
%mon -l [dev filter] [attr filter]     show the last 200 events of the log (regex or glob
        [--all]                        filters; --all: every event kept)
%mon -i <id>                           show one event in detail
%mon -w [dev filter] [attr filter]     live view; press any key to leave
        [--for SECONDS]                (or stop after SECONDS; Jupyter: default 10 s)
%mon -p [dev filter] [attr filter]     plot (Jupyter, qtconsole; needs matplotlib): numbers
                                       over time with their units and qualities, and the
                                       latest value of spectra and images
%mon -o NAME [dev f.] [attr f.]        the log as a table in variable NAME (a pandas
                                       DataFrame when pandas is installed, else dicts)
%mon --csv FILE [dev f.] [attr f.]     write the log to a CSV file"""

DOC = f"""Monitor attribute events: a table of the latest values, an event log, a live view.

Usage:
{USAGE}

Names are case-insensitive and may be full (tango://host:port/dev/attr), use a device alias
or be an attribute alias.  Events are recorded by Tango's event thread and never printed over
the prompt; the log keeps the last 10,000 events, and event ids never change."""
