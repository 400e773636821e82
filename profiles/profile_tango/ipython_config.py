# IPython profile that loads the itango extension.
#
#   ipython --profile-dir=/path/to/profiles/profile_tango
# or copy this directory to ~/.ipython/profile_tango and run  ipython --profile=tango
# (the `itango` command needs no profile: it passes the same settings in memory).

c = get_config()  # noqa: F821 -- provided by IPython when it runs this file

extensions = list(c.InteractiveShellApp.get("extensions", []))
if "itango" not in extensions:
    extensions.append("itango")
c.InteractiveShellApp.extensions = extensions
