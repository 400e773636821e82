"""One sequence of database commands, sent unchanged to several database servers, and the
differences we know of between the replies (with the reason for each).

Used by test_differential.py: ours (in process and over the wire) against PyTango 10.3.1's
sqlite DataBaseds and Debian's C++ DataBaseds 9.3.4 on MariaDB.  A step is
``(step id, command, argin)``; ``Typed(type, value)`` sends an argument of another type than the
command takes.  Replies are compared after :func:`normalize` (dates, IORs of the database
servers themselves, their PIDs); a DevFailed compares by its reason.

``DIFFERENCES[step id][server]`` says why that server's reply differs from ours.  The test fails
when a listed difference disappears as well as when an unlisted one appears, so this table and
docs/databaseds.md ("Differences from the reference servers") stay true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

PY, CPP = "pytango", "cpp"


@dataclass(frozen=True)
class Typed:
    """An argument of a given Tango type (``type_name`` as in CmdArgType), whatever the command takes."""
    type_name: str
    value: Any


LONG_NAME = "a" * 300
SQL_NAME = "x/y/z'; DROP TABLE device; --"

# (step id, command, argin)
SETUP = [
    ("s-del-rest", "DbDeleteServer", "TangoRestServer/rest"),  # only the C++ installation has it
]

STEPS: list[tuple[str, str, Any]] = [
    # -- the fresh database -----------------------------------------------------------------------
    ("fresh-wide", "DbGetDeviceWideList", "*"),
    ("fresh-servers", "DbGetServerList", "*"),
    ("fresh-classes", "DbGetClassList", "*"),
    ("fresh-domains", "DbGetDeviceDomainList", "*"),
    ("fresh-families", "DbGetDeviceFamilyList", "*"),
    ("fresh-members", "DbGetDeviceMemberList", "*"),
    ("fresh-exported", "DbGetDeviceExportedList", "*"),
    ("fresh-tgtest", "DbImportDevice", "sys/tg_test/1"),
    ("fresh-tgtest-info", "DbGetDeviceInfo", "sys/tg_test/1"),
    ("fresh-tgtest-classlist", "DbGetDeviceClassList", "TangoTest/test"),
    ("fresh-db-classlist", "DbGetDeviceClassList", "DataBaseds/2"),
    ("fresh-ctrlsystem", "DbGetProperty", ["CtrlSystem", "Services"]),
    ("fresh-access-cmd", "DbGetClassProperty", ["Database", "AllowedAccessCmd"]),
    ("fresh-dserver-access-cmd", "DbGetClassProperty", ["DServer", "AllowedAccessCmd"]),
    ("fresh-server-names", "DbGetServerNameList", "*"),
    ("fresh-instances", "DbGetInstanceNameList", "TangoTest"),
    ("fresh-objects", "DbGetObjectList", "*"),
    ("fresh-aliases", "DbGetDeviceAliasList", "*"),
    ("fresh-attr-aliases", "DbGetAttributeAliasList", "*"),
    ("fresh-inventory", "DbMySqlSelect", "SELECT name, alias, server, class, exported FROM device ORDER BY name"),
    ("fresh-attr-alias-inventory", "DbMySqlSelect", "SELECT alias, name FROM attribute_alias ORDER BY alias"),
    ("fresh-server-info", "DbGetServerInfo", "TangoTest/test"),
    ("fresh-server-info-tac", "DbGetServerInfo", "TangoAccessControl/1"),
    ("fresh-tgtest-class", "DbGetClassForDevice", "sys/tg_test/1"),
    ("fresh-tgtest-inherit", "DbGetClassInheritanceForDevice", "sys/tg_test/1"),
    ("fresh-server-class-list", "DbGetDeviceServerClassList", "TangoTest/test"),
    ("fresh-notifd", "DbImportEvent", "notifd/factory/somehost"),
    ("fresh-hosts", "DbGetHostList", "*"),
    ("fresh-info", "DbInfo", None),
    # -- registering devices ----------------------------------------------------------------------
    ("add-server", "DbAddServer", ["DiffServer/one", "diff/My_dev/1", "DiffClass", "diff/my_dev/2", "DiffClass"]),
    ("add-device", "DbAddDevice", ["DiffServer/one", "diff/mydev/3", "OtherClass"]),
    ("add-device-alias", "DbAddDevice", ["DiffServer/one", "Diff/MyDev/4", "OtherClass", "diffalias4"]),
    ("add-device-tango-prefix", "DbAddDevice", ["DiffServer/one", "tango://somehost:1/diff/prefixed/5", "OtherClass"]),
    ("add-too-few", "DbAddDevice", ["DiffServer/one", "diff/x/1"]),
    ("add-bad-name", "DbAddDevice", ["DiffServer/one", "diff/x", "OtherClass"]),
    ("add-star-name", "DbAddDevice", ["DiffServer/one", "diff/x/*", "OtherClass"]),
    ("add-empty-field", "DbAddDevice", ["DiffServer/one", "diff//1", "OtherClass"]),
    ("add-four-fields", "DbAddDevice", ["DiffServer/one", "diff/x/y/z", "OtherClass"]),
    ("cleanup-empty-field", "DbDeleteDevice", "diff//1"),
    ("cleanup-four-fields", "DbDeleteDevice", "diff/x/y/z"),
    ("add-server-too-few", "DbAddServer", ["DiffServer/two", "diff/x/1"]),
    ("add-server-bad-name", "DbAddServer", ["DiffServer/two", "diff/x", "C"]),
    ("add-sql-name", "DbAddDevice", ["SqlServer/1", SQL_NAME, "SqlClass"]),
    ("add-quote-device", "DbAddDevice", ["SqlServer/1", "quote/dev/1", "SqlClass"]),
    ("add-percent-name", "DbAddDevice", ["SqlServer/1", "pct/100%/x_y", "SqlClass"]),
    ("wide-all", "DbGetDeviceWideList", "*"),
    ("wide-diff", "DbGetDeviceWideList", "diff/*"),
    ("wide-diff-upper", "DbGetDeviceWideList", "DIFF/*"),
    ("wide-underscore", "DbGetDeviceWideList", "diff/my_dev/*"),
    ("wide-percent", "DbGetDeviceWideList", "diff/my%/*"),
    ("wide-percent-literal", "DbGetDeviceWideList", "pct/100%/*"),
    ("wide-question", "DbGetDeviceWideList", "diff/my?dev/*"),
    ("wide-quote", "DbGetDeviceWideList", "x/y/z'*"),
    ("wide-sql", "DbGetDeviceWideList", "*' OR '1'='1"),
    ("wide-empty", "DbGetDeviceWideList", ""),
    ("wide-long", "DbGetDeviceWideList", LONG_NAME),
    ("sql-device-survives", "DbGetDeviceWideList", "x/*"),
    ("classlist", "DbGetDeviceClassList", "DiffServer/one"),
    ("classlist-case", "DbGetDeviceClassList", "diffserver/ONE"),
    ("classlist-wildcard", "DbGetDeviceClassList", "DiffServer/*"),
    ("devlist", "DbGetDeviceList", ["DiffServer/one", "DiffClass"]),
    ("devlist-wild", "DbGetDeviceList", ["diffserver/*", "*"]),
    ("devlist-one-arg", "DbGetDeviceList", ["DiffServer/one"]),
    ("servers-diff", "DbGetServerList", "diff*"),
    ("servers-underscore", "DbGetServerList", "Diff_erver/*"),
    ("server-names", "DbGetServerNameList", "diff*"),
    ("instances", "DbGetInstanceNameList", "DiffServer"),
    ("instances-prefix", "DbGetInstanceNameList", "Diff"),
    ("instances-underscore", "DbGetInstanceNameList", "Diff_erver"),
    ("classes", "DbGetClassList", "*Class"),
    ("server-classes", "DbGetDeviceServerClassList", "DiffServer/one"),
    ("class-of", "DbGetClassForDevice", "diff/mydev/3"),
    ("class-of-upper", "DbGetClassForDevice", "DIFF/MYDEV/3"),
    ("class-of-missing", "DbGetClassForDevice", "nope/nope/nope"),
    ("domains-alias", "DbGetDeviceDomainList", "diffalias*"),
    ("families", "DbGetDeviceFamilyList", "diff/*"),
    ("members", "DbGetDeviceMemberList", "diff/mydev/*"),
    # -- device aliases -----------------------------------------------------------------------------
    ("aliases", "DbGetDeviceAliasList", "*"),
    ("alias-device", "DbGetAliasDevice", "diffalias4"),
    ("alias-device-upper", "DbGetAliasDevice", "DIFFALIAS4"),
    ("alias-device-wild", "DbGetAliasDevice", "diffalias*"),
    ("alias-device-missing", "DbGetAliasDevice", "nope"),
    ("alias-device-empty", "DbGetAliasDevice", ""),
    ("device-alias", "DbGetDeviceAlias", "diff/mydev/4"),
    ("device-alias-none", "DbGetDeviceAlias", "diff/mydev/3"),
    ("device-alias-missing", "DbGetDeviceAlias", "nope/nope/nope"),
    ("device-alias-bad", "DbGetDeviceAlias", "bad"),
    ("put-alias-taken", "DbPutDeviceAlias", ["diff/mydev/3", "diffalias4"]),
    ("put-alias-space", "DbPutDeviceAlias", ["diff/mydev/3", "my alias"]),
    ("put-alias-slash", "DbPutDeviceAlias", ["diff/mydev/3", "my/alias"]),
    ("put-alias", "DbPutDeviceAlias", ["diff/mydev/3", "diff_alias3"]),
    ("put-alias-missing-device", "DbPutDeviceAlias", ["nope/nope/nope", "alias_nope"]),
    ("put-alias-one-arg", "DbPutDeviceAlias", ["diff/mydev/3"]),
    ("aliases-after", "DbGetDeviceAliasList", "diff*"),
    ("aliases-underscore", "DbGetDeviceAliasList", "diff_*"),
    ("import-alias", "DbImportDevice", "diffalias4"),
    ("import-alias-upper", "DbImportDevice", "DiffAlias4"),
    ("import-upper", "DbImportDevice", "DIFF/MYDEV/3"),
    ("import-missing", "DbImportDevice", "nope/nope/nope"),
    ("import-empty", "DbImportDevice", ""),
    ("info-alias", "DbGetDeviceInfo", "diffalias4"),
    ("info-missing", "DbGetDeviceInfo", "nope/nope/nope"),
    # -- export / import --------------------------------------------------------------------------
    ("export", "DbExportDevice", ["diff/mydev/3", "IOR:diff0003", "hosta", "1234", "6"]),
    ("export-admin-null-pid", "DbExportDevice", ["dserver/DiffServer/one", "IOR:diff0000", "hosta", "null", "6"]),
    ("export-missing", "DbExportDevice", ["nope/nope/nope", "IOR:0", "hosta", "1", "6"]),
    ("export-too-few", "DbExportDevice", ["diff/mydev/3", "IOR:0", "hosta"]),
    ("import-exported", "DbImportDevice", "diff/mydev/3"),
    ("import-exported-admin", "DbImportDevice", "dserver/DiffServer/one"),
    ("info-exported", "DbGetDeviceInfo", "diff/mydev/3"),
    ("exported-diff", "DbGetDeviceExportedList", "diff/*"),
    ("exported-alias", "DbGetDeviceExportedList", "diff_alias*"),
    ("exported-class", "DbGetExportdDeviceListForClass", "OtherClass"),
    ("host-servers", "DbGetHostServerList", "hosta"),
    ("hosts", "DbGetHostList", "*"),
    ("hosts-wild", "DbGetHostList", "host*"),
    ("host-servers-info", "DbGetHostServersInfo", "hosta"),
    ("unexport", "DbUnExportDevice", "diff/mydev/3"),
    ("import-unexported", "DbImportDevice", "diff/mydev/3"),
    ("info-unexported", "DbGetDeviceInfo", "diff/mydev/3"),
    ("re-export", "DbExportDevice", ["diff/mydev/3", "IOR:diff0003b", "hostb", "99", "5"]),
    ("unexport-server", "DbUnExportServer", "diffserver/one"),
    ("exported-after", "DbGetDeviceExportedList", "diff/*"),
    ("export-event", "DbExportEvent", ["notifd/factory/hosta", "IOR:ev", "hosta", "42", "1"]),
    ("import-event", "DbImportEvent", "notifd/factory/hosta"),
    ("unexport-event", "DbUnExportEvent", "notifd/factory/hosta"),
    ("import-event-after", "DbImportEvent", "notifd/factory/hosta"),
    ("export-event-too-few", "DbExportEvent", ["x"]),
    # -- server info (Starter) ----------------------------------------------------------------------
    ("put-server-info", "DbPutServerInfo", ["DiffServer/one", "hostc", "1", "2"]),
    ("server-info", "DbGetServerInfo", "DiffServer/one"),
    ("server-info-lower", "DbGetServerInfo", "diffserver/one"),
    ("put-server-info-short", "DbPutServerInfo", ["DiffServer/one", "hostc", "1"]),
    ("delete-server-info", "DbDeleteServerInfo", "diffserver/one"),
    ("server-info-after", "DbGetServerInfo", "DiffServer/one"),
    # -- device properties and history ------------------------------------------------------------
    ("put-dev-props", "DbPutDeviceProperty", ["diff/mydev/3", "2", "P1", "2", "a", "b", "p_2", "1", "x"]),
    ("put-dev-props-again", "DbPutDeviceProperty", ["diff/mydev/3", "1", "P1", "1", "c"]),
    ("put-dev-prop-empty", "DbPutDeviceProperty", ["diff/mydev/3", "1", "emptyprop", "0"]),
    ("get-dev-props", "DbGetDeviceProperty", ["diff/mydev/3", "P1", "p1", "p_2", "p?2", "P*", "nope", "emptyprop"]),
    ("get-dev-props-upper-device", "DbGetDeviceProperty", ["DIFF/MYDEV/3", "P1"]),
    ("get-dev-props-device-only", "DbGetDeviceProperty", ["diff/mydev/3"]),
    ("get-dev-props-missing-device", "DbGetDeviceProperty", ["nope/nope/nope", "P1"]),
    ("dev-prop-list", "DbGetDevicePropertyList", ["diff/mydev/3", "*"]),
    ("dev-prop-list-p", "DbGetDevicePropertyList", ["diff/mydev/3", "p*"]),
    ("dev-prop-list-underscore", "DbGetDevicePropertyList", ["diff/mydev/3", "p_*"]),
    ("dev-prop-list-wild-device", "DbGetDevicePropertyList", ["diff/mydev/*", "*"]),
    ("dev-prop-list-one-arg", "DbGetDevicePropertyList", ["diff/mydev/3"]),
    ("dev-prop-hist", "DbGetDevicePropertyHist", ["diff/mydev/3", "P1"]),
    ("dev-prop-hist-all", "DbGetDevicePropertyHist", ["diff/mydev/3", "p*"]),
    ("delete-dev-prop", "DbDeleteDeviceProperty", ["diff/mydev/3", "p1"]),
    ("dev-prop-hist-deleted", "DbGetDevicePropertyHist", ["diff/mydev/3", "P1"]),
    ("delete-dev-prop-wild", "DbDeleteDeviceProperty", ["diff/mydev/3", "p*"]),
    ("dev-prop-list-after", "DbGetDevicePropertyList", ["diff/mydev/3", "*"]),
    ("dev-prop-hist-all-after", "DbGetDevicePropertyHist", ["diff/mydev/3", "p*"]),
    ("dev-prop-hist-one-arg", "DbGetDevicePropertyHist", ["diff/mydev/3"]),
    ("put-dev-prop-truncated", "DbPutDeviceProperty", ["quote/dev/1", "1", "T1"]),
    ("put-dev-prop-bad-count", "DbPutDeviceProperty", ["quote/dev/1", "x", "T1", "1", "v"]),
    ("put-dev-prop-short-values", "DbPutDeviceProperty", ["quote/dev/1", "1", "T1", "3", "v"]),
    ("put-dev-prop-zero", "DbPutDeviceProperty", ["quote/dev/1", "0"]),
    ("put-dev-prop-device-only", "DbPutDeviceProperty", ["quote/dev/1"]),
    ("dev-prop-list-after-bad", "DbGetDevicePropertyList", ["quote/dev/1", "*"]),
    ("history-depth-put-1", "DbPutDeviceProperty", ["diff/mydev/3", "1", "H", "1", "v1"]),
    ("history-depth-put-2", "DbPutDeviceProperty", ["diff/mydev/3", "1", "H", "1", "v2"]),
    ("history-depth-put-3", "DbPutDeviceProperty", ["diff/mydev/3", "1", "H", "1", "v3"]),
    ("history-depth-put-4", "DbPutDeviceProperty", ["diff/mydev/3", "1", "H", "1", "v4"]),
    ("history-depth-put-5", "DbPutDeviceProperty", ["diff/mydev/3", "1", "H", "1", "v5"]),
    ("history-depth-put-6", "DbPutDeviceProperty", ["diff/mydev/3", "1", "H", "1", "v6"]),
    ("history-depth-put-7", "DbPutDeviceProperty", ["diff/mydev/3", "1", "H", "1", "v7"]),
    ("history-depth-put-8", "DbPutDeviceProperty", ["diff/mydev/3", "1", "H", "1", "v8"]),
    ("history-depth-put-9", "DbPutDeviceProperty", ["diff/mydev/3", "1", "H", "1", "v9"]),
    ("history-depth-put-10", "DbPutDeviceProperty", ["diff/mydev/3", "1", "H", "1", "v10"]),
    ("history-depth-put-11", "DbPutDeviceProperty", ["diff/mydev/3", "1", "H", "1", "v11"]),
    ("history-depth-put-12", "DbPutDeviceProperty", ["diff/mydev/3", "1", "H", "2", "v12", "w12"]),
    ("history-depth", "DbGetDevicePropertyHist", ["diff/mydev/3", "H"]),
    # -- class properties ---------------------------------------------------------------------------
    ("put-class-props", "DbPutClassProperty", ["DiffClass", "2", "cp1", "2", "a", "b", "cp2", "1", "z"]),
    ("put-class-props-again", "DbPutClassProperty", ["DiffClass", "1", "cp1", "1", "c"]),
    ("get-class-props", "DbGetClassProperty", ["DiffClass", "cp1", "CP2", "cp*", "nope"]),
    ("get-class-props-upper-class", "DbGetClassProperty", ["DIFFCLASS", "cp1"]),
    ("class-prop-list", "DbGetClassPropertyList", "DiffClass"),
    ("class-prop-list-wild", "DbGetClassPropertyList", "diff*"),
    ("class-prop-hist", "DbGetClassPropertyHist", ["DiffClass", "cp1"]),
    ("class-prop-hist-all", "DbGetClassPropertyHist", ["DiffClass", "*"]),
    ("delete-class-prop", "DbDeleteClassProperty", ["DiffClass", "cp2"]),
    ("class-prop-hist-after", "DbGetClassPropertyHist", ["DiffClass", "*"]),
    ("inherit-put", "DbPutClassProperty", ["OtherClass", "1", "InheritedFrom", "2", "Base1", "Base2"]),
    ("inherit", "DbGetClassInheritanceForDevice", "diff/mydev/3"),
    # -- free-object properties --------------------------------------------------------------------
    ("put-obj-props", "DbPutProperty", ["diffobj", "2", "fp1", "2", "a", "b", "fp2", "1", "z"]),
    ("put-obj-props-again", "DbPutProperty", ["diffobj", "1", "fp1", "1", "c"]),
    ("get-obj-props", "DbGetProperty", ["diffobj", "fp1", "FP2", "fp*", "nope"]),
    ("get-obj-props-object-only", "DbGetProperty", ["diffobj"]),
    ("obj-prop-list", "DbGetPropertyList", ["diffobj", "*"]),
    ("obj-prop-list-wild-object", "DbGetPropertyList", ["DIFF*", "*"]),
    ("obj-prop-list-one-arg", "DbGetPropertyList", ["diffobj"]),
    ("objects", "DbGetObjectList", "diff*"),
    ("obj-prop-hist", "DbGetPropertyHist", ["diffobj", "fp1"]),
    ("obj-prop-hist-all", "DbGetPropertyHist", ["diffobj", "*"]),
    ("delete-obj-prop", "DbDeleteProperty", ["diffobj", "fp2"]),
    ("obj-prop-hist-after", "DbGetPropertyHist", ["diffobj", "*"]),
    # -- device attribute properties ---------------------------------------------------------------
    ("put-attr-props", "DbPutDeviceAttributeProperty",
     ["diff/mydev/3", "2", "att1", "2", "unit", "mm", "format", "%6.2f", "att2", "1", "label", "L2"]),
    ("put-attr-props2", "DbPutDeviceAttributeProperty2",
     ["diff/mydev/3", "1", "att1", "2", "values", "3", "1", "2", "3", "unit", "1", "cm"]),
    ("put-attr-memorized", "DbPutDeviceAttributeProperty2", ["diff/mydev/3", "1", "att3", "1", "__value", "1", "42"]),
    ("get-attr-props", "DbGetDeviceAttributeProperty", ["diff/mydev/3", "att1", "ATT2", "att3", "none"]),
    ("get-attr-props2", "DbGetDeviceAttributeProperty2", ["diff/mydev/3", "att1", "ATT2", "att3", "none"]),
    ("get-attr-props2-one", "DbGetDeviceAttributeProperty2", ["diff/mydev/3", "att2"]),
    ("attr-list", "DbGetDeviceAttributeList", ["diff/mydev/3", "*"]),
    ("attr-list-wild", "DbGetDeviceAttributeList", ["diff/mydev/3", "att?"]),
    ("attr-hist", "DbGetDeviceAttributePropertyHist", ["diff/mydev/3", "att1", "*"]),
    ("attr-hist-memorized", "DbGetDeviceAttributePropertyHist", ["diff/mydev/3", "att3", "*"]),
    ("attr-hist-two-args", "DbGetDeviceAttributePropertyHist", ["diff/mydev/3", "att1"]),
    ("delete-attr-prop", "DbDeleteDeviceAttributeProperty", ["diff/mydev/3", "att1", "unit"]),
    ("delete-attr-prop-too-few", "DbDeleteDeviceAttributeProperty", ["diff/mydev/3", "att1"]),
    ("delete-attr-prop-bad-device", "DbDeleteDeviceAttributeProperty", ["bad", "att1", "unit"]),
    ("attr-hist-after-delete", "DbGetDeviceAttributePropertyHist", ["diff/mydev/3", "att1", "*"]),
    ("delete-all-attr-props", "DbDeleteAllDeviceAttributeProperty", ["diff/mydev/3", "att2"]),
    ("delete-attribute", "DbDeleteDeviceAttribute", ["diff/mydev/3", "att3"]),
    ("get-attr-props2-after", "DbGetDeviceAttributeProperty2", ["diff/mydev/3", "att1", "att2", "att3"]),
    ("put-attr-props-bad", "DbPutDeviceAttributeProperty2", ["quote/dev/1", "1", "att1", "1", "unit", "2", "x"]),
    ("get-attr-props-after-bad", "DbGetDeviceAttributeProperty2", ["quote/dev/1", "att1"]),
    ("put-dev-prop-quotes", "DbPutDeviceProperty", ["quote/dev/1", "1", "q'\"", "2", "it's", "\"x\" \\ y"]),
    ("get-dev-prop-quotes", "DbGetDeviceProperty", ["quote/dev/1", "q'\""]),
    ("put-dev-prop-backslash-quote", "DbPutDeviceProperty", ["quote/dev/1", "1", "bq", "1", "a\\'b"]),
    ("get-dev-prop-backslash-quote", "DbGetDeviceProperty", ["quote/dev/1", "bq"]),
    ("put-dev-prop-long", "DbPutDeviceProperty", ["quote/dev/1", "1", "longvalue", "1", "v" * 100_000]),
    ("get-dev-props-long", "DbGetDeviceProperty", ["quote/dev/1", "longvalue"]),
    ("put-dev-prop-sql", "DbPutDeviceProperty", ["quote/dev/1", "1", "p'); DELETE FROM property_device; --", "1", "v"]),
    ("quote-prop-list", "DbGetDevicePropertyList", ["quote/dev/1", "*"]),
    # -- class attribute properties ----------------------------------------------------------------
    ("put-class-attr-props", "DbPutClassAttributeProperty",
     ["DiffClass", "1", "catt", "2", "unit", "V", "max_value", "10"]),
    ("put-class-attr-props2", "DbPutClassAttributeProperty2", ["DiffClass", "1", "catt2", "1", "values", "2", "a", "b"]),
    ("get-class-attr-props", "DbGetClassAttributeProperty", ["DiffClass", "catt", "catt2"]),
    ("get-class-attr-props2", "DbGetClassAttributeProperty2", ["DiffClass", "catt", "catt2", "none"]),
    ("class-attr-list", "DbGetClassAttributeList", ["DiffClass", "*"]),
    ("class-attr-hist", "DbGetClassAttributePropertyHist", ["DiffClass", "catt", "*"]),
    ("delete-class-attr-prop", "DbDeleteClassAttributeProperty", ["DiffClass", "catt", "unit"]),
    ("delete-class-attr", "DbDeleteClassAttribute", ["DiffClass", "catt2"]),
    ("get-class-attr-props2-after", "DbGetClassAttributeProperty2", ["DiffClass", "catt", "catt2"]),
    # -- pipe properties (C++ only) -----------------------------------------------------------------
    ("put-pipe-props", "DbPutDevicePipeProperty", ["diff/mydev/3", "1", "pipe1", "1", "label", "1", "P"]),
    ("get-pipe-props", "DbGetDevicePipeProperty", ["diff/mydev/3", "pipe1"]),
    ("pipe-list", "DbGetDevicePipeList", ["diff/mydev/3", "*"]),
    ("put-class-pipe-props", "DbPutClassPipeProperty", ["DiffClass", "1", "cpipe", "1", "label", "1", "C"]),
    ("get-class-pipe-props", "DbGetClassPipeProperty", ["DiffClass", "cpipe"]),
    ("put-pipe-props-more", "DbPutDevicePipeProperty",
     ["diff/mydev/3", "2", "pipe1", "2", "label", "1", "P2", "desc", "1", "D", "pipe2", "1", "label", "1", "Q"]),
    ("pipe-hist", "DbGetDevicePipePropertyHist", ["diff/mydev/3", "pipe1", "*"]),
    ("delete-pipe-prop", "DbDeleteDevicePipeProperty", ["diff/mydev/3", "pipe1", "desc"]),
    ("get-pipe-props-two", "DbGetDevicePipeProperty", ["diff/mydev/3", "pipe1", "pipe2"]),
    ("pipe-hist-after-delete", "DbGetDevicePipePropertyHist", ["diff/mydev/3", "pipe1", "*"]),
    ("delete-pipe", "DbDeleteDevicePipe", ["diff/mydev/3", "pipe2"]),
    ("pipe-list-after-delete", "DbGetDevicePipeList", ["diff/mydev/3", "*"]),
    ("delete-all-pipe-props", "DbDeleteAllDevicePipeProperty", ["diff/mydev/3", "pipe1"]),
    ("pipe-list-empty", "DbGetDevicePipeList", ["diff/mydev/3", "*"]),
    ("put-class-pipe-props-more", "DbPutClassPipeProperty", ["DiffClass", "1", "cpipe2", "1", "label", "1", "C2"]),
    ("class-pipe-list", "DbGetClassPipeList", ["DiffClass", "*"]),
    ("class-pipe-hist", "DbGetClassPipePropertyHist", ["DiffClass", "cpipe", "*"]),
    ("delete-class-pipe-prop", "DbDeleteClassPipeProperty", ["DiffClass", "cpipe", "label"]),
    ("get-class-pipe-props-two", "DbGetClassPipeProperty", ["DiffClass", "cpipe", "cpipe2"]),
    ("delete-class-pipe", "DbDeleteClassPipe", ["DiffClass", "cpipe2"]),
    ("class-pipe-list-after-delete", "DbGetClassPipeList", ["DiffClass", "*"]),
    ("class-pipe-hist-after-delete", "DbGetClassPipePropertyHist", ["DiffClass", "cpipe", "*"]),
    ("forwarded-attributes", "DbGetForwardedAttributeListForDevice", "diff/mydev/3"),
    # -- attribute aliases -------------------------------------------------------------------------
    ("put-attr-alias", "DbPutAttributeAlias", ["diff/mydev/3/att1", "diff_attr_alias"]),
    ("put-attr-alias-bad-name", "DbPutAttributeAlias", ["diff/mydev/att1", "other_alias"]),
    ("put-attr-alias-space", "DbPutAttributeAlias", ["diff/mydev/3/att2", "bad alias"]),
    ("put-attr-alias-taken", "DbPutAttributeAlias", ["diff/mydev/3/att2", "diff_attr_alias"]),
    ("attr-alias", "DbGetAttributeAlias", "diff_attr_alias"),
    ("alias-attr", "DbGetAliasAttribute", "diff_attr_alias"),
    ("attr-alias2", "DbGetAttributeAlias2", "diff/mydev/3/att1"),
    ("attr-alias-missing", "DbGetAttributeAlias", "nope"),
    ("attr-alias2-missing", "DbGetAttributeAlias2", "diff/mydev/3/att9"),
    ("attr-alias-list", "DbGetAttributeAliasList", "diff*"),
    ("attr-alias-inventory", "DbMySqlSelect", "SELECT alias, name FROM attribute_alias ORDER BY alias"),
    ("delete-attr-alias", "DbDeleteAttributeAlias", "diff_attr_alias"),
    ("attr-alias-list-after", "DbGetAttributeAliasList", "diff*"),
    # -- SQL and the inventory ----------------------------------------------------------------------
    ("inventory", "DbMySqlSelect", "SELECT name, alias, server, class, exported FROM device ORDER BY name"),
    ("select-no-keyword", "DbMySqlSelect", "name FROM device WHERE name LIKE 'diff/%' ORDER BY name"),
    ("select-injection", "DbMySqlSelect", "SELECT 1; DROP TABLE device"),
    ("select-count", "DbMySqlSelect", "SELECT COUNT(*) FROM device WHERE server = 'DiffServer/one'"),
    ("select-properties", "DbMySqlSelect",
     "SELECT device, name, count, value FROM property_device WHERE device = 'diff/mydev/3' ORDER BY name, count"),
    # -- start-up cache -----------------------------------------------------------------------------
    ("server-cache", "DbGetDataForServerCache", ["DiffServer/one", "hosta"]),
    ("server-cache-missing", "DbGetDataForServerCache", ["NoServer/x", "hosta"]),
    ("server-cache-one-arg", "DbGetDataForServerCache", ["DiffServer/one"]),
    # -- wrong argument types ----------------------------------------------------------------------
    ("type-long-for-string", "DbImportDevice", Typed("DevLong", 5)),
    ("type-string-for-array", "DbGetDeviceProperty", Typed("DevString", "diff/mydev/3")),
    ("type-array-for-string", "DbGetDeviceWideList", Typed("DevVarStringArray", ["*"])),
    ("empty-array", "DbGetDeviceProperty", []),
    ("empty-array-put", "DbPutDeviceProperty", []),
    # -- renaming and deleting ---------------------------------------------------------------------
    ("put-admin-prop", "DbPutDeviceProperty", ["dserver/DiffServer/one", "1", "polling_threads_pool_conf", "1", "x"]),
    ("rename-one-arg", "DbRenameServer", ["DiffServer/one"]),
    ("rename-bad", "DbRenameServer", ["DiffServer/one", "nodash"]),
    ("rename-missing", "DbRenameServer", ["NoServer/x", "NoServer/y"]),
    ("rename-taken", "DbRenameServer", ["DiffServer/one", "TangoTest/test"]),
    ("rename", "DbRenameServer", ["DiffServer/one", "DiffServer/renamed"]),
    ("renamed-classlist", "DbGetDeviceClassList", "DiffServer/renamed"),
    ("renamed-admin-props", "DbGetDeviceProperty", ["dserver/DiffServer/renamed", "polling_threads_pool_conf"]),
    ("delete-device", "DbDeleteDevice", "diff/my_dev/2"),
    ("delete-device-bad", "DbDeleteDevice", "bad"),
    ("delete-device-sql", "DbDeleteDevice", SQL_NAME),
    ("wide-after-delete", "DbGetDeviceWideList", "*"),
    ("delete-server-bad", "DbDeleteServer", "noslash"),
    ("delete-server-star", "DbDeleteServer", "DiffServer/*"),
    ("delete-server-missing", "DbDeleteServer", "NoServer/x"),
    ("delete-server", "DbDeleteServer", "DiffServer/renamed"),
    ("props-after-delete-server", "DbGetDeviceProperty", ["diff/mydev/3", "H"]),
    ("wide-after-delete-server", "DbGetDeviceWideList", "*"),
    ("delete-alias", "DbDeleteDeviceAlias", "diffalias4"),
    ("aliases-final", "DbGetDeviceAliasList", "*"),
    ("info-final", "DbInfo", None),
]

# -- every wildcard command with patterns that are SQL wildcards, quotes, SQL, empty or long -------
# (names with '_' and '%' next to names where another character stands there, so that an
# unescaped LIKE shows)
HOSTILE_DATA: list[tuple[str, str, Any]] = [
    ("hostile-add-server", "DbAddServer",
     ["Wild_Server/one", "wild/my_dev/1", "Wild_Class", "wild/myXdev/2", "WildXClass", "wpct/100%/x_y", "Pct%Class"]),
    ("hostile-alias-1", "DbPutDeviceAlias", ["wild/my_dev/1", "wild_alias"]),
    ("hostile-alias-2", "DbPutDeviceAlias", ["wild/myXdev/2", "wildXalias"]),
    ("hostile-attr-alias", "DbPutAttributeAlias", ["wild/my_dev/1/att_1", "wild_att_alias"]),
    ("hostile-export", "DbExportDevice", ["wild/my_dev/1", "IOR:00", "host_w", "12", "6"]),
    ("hostile-obj-props-1", "DbPutProperty", ["wobj_1", "1", "p_1", "1", "v"]),
    ("hostile-obj-props-2", "DbPutProperty", ["wobjX1", "1", "pX1", "1", "v"]),
    ("hostile-dev-props", "DbPutDeviceProperty", ["wild/my_dev/1", "2", "p_1", "1", "v", "pX1", "1", "w"]),
    ("hostile-class-props", "DbPutClassProperty", ["Wild_Class", "2", "p_1", "1", "v", "pX1", "1", "w"]),
    ("hostile-dev-attr-props", "DbPutDeviceAttributeProperty",
     ["wild/my_dev/1", "2", "a_1", "1", "unit", "mm", "aX1", "1", "unit", "m"]),
    ("hostile-class-attr-props", "DbPutClassAttributeProperty",
     ["Wild_Class", "2", "a_1", "1", "unit", "mm", "aX1", "1", "unit", "m"]),
    ("hostile-server-info", "DbPutServerInfo", ["Wild_Server/one", "host_w", "1", "1"]),
]
HOSTILE_PATTERNS = {"percent": "%", "underscore": "_", "star-underscore": "*_*", "star-percent": "*%*",
                    "quote": "x'*", "sql": "*' OR '1'='1", "empty": "", "long": "a" * 300, "backslash": "*\\*"}
#: wildcard commands taking one string, and those taking [name, wildcard] (with that name)
HOSTILE_STRING_COMMANDS = [
    "DbGetAttributeAliasList", "DbGetClassList", "DbGetDeviceAliasList", "DbGetDeviceDomainList",
    "DbGetDeviceExportedList", "DbGetDeviceFamilyList", "DbGetDeviceMemberList", "DbGetDeviceServerClassList",
    "DbGetDeviceWideList", "DbGetExportdDeviceListForClass", "DbGetHostList", "DbGetHostServerList",
    "DbGetHostServersInfo", "DbGetInstanceNameList", "DbGetObjectList", "DbGetServerList", "DbGetServerNameList",
    "DbGetClassPropertyList"]
HOSTILE_PAIR_COMMANDS = {
    "DbGetDevicePropertyList": "wild/my_dev/1", "DbGetPropertyList": "wobj_1",
    "DbGetDeviceAttributeList": "wild/my_dev/1", "DbGetClassAttributeList": "Wild_Class",
    "DbGetDevicePipeList": "wild/my_dev/1", "DbGetClassPipeList": "Wild_Class", "DbGetDeviceList": "Wild_Server/*"}
HOSTILE_STEPS: list[tuple[str, str, Any]] = [
    *((f"hostile-{command}-{kind}", command, pattern)
      for command in HOSTILE_STRING_COMMANDS for kind, pattern in HOSTILE_PATTERNS.items()),
    *((f"hostile-{command}-{kind}", command, [first, pattern])
      for command, first in HOSTILE_PAIR_COMMANDS.items() for kind, pattern in HOSTILE_PATTERNS.items()),
]
STEPS += HOSTILE_DATA + HOSTILE_STEPS

# Reasons, shared by many steps (docs/databaseds.md explains each).
PY_CRASH = "PyTango's server fails with a Python exception (PyDs_PythonError) on this malformed argument"
CPP_CORBA = "the C++ server indexes past the end of the argument array: CORBA BAD_PARAM (API_CorbaException)"
CPP_ACCEPTS_BAD_NAME = "the C++ server accepts a device name with an empty field or a fourth '/'"
PY_HISTORY_MIX = "PyTango's server gives one history id to every property of a put, mixing their values"
PY_HISTORY_DELETED = "PyTango's server shows a deletion as one value 'DELETED' (the C++ server: 0 values)"
PY_FRESH = "PyTango's fresh database differs: fewer AllowedAccessCmd values, server_info rows for every server"
PY_NO_PIPES = "PyTango's server has no pipe property storage (its get commands answer 0 properties)"
PY_NO_PIPE_COMMAND = "PyTango's server lacks the pipe property commands (API_CommandNotFound)"
PY_INFO = "PyTango's DbInfo names its file instead of the device, has single spaces before '=' and counts " \
          "property values otherwise"
PY_UNEXPORT = "PyTango's DbUnExportDevice takes the first character of the name: the device stays exported"
OURS_STRICT = "we refuse what the reference accepts and does not store sensibly"
CPP_PARTIAL = "the C++ server wrote part of a malformed request before failing (no transaction)"
CPP_ESCAPING = "the C++ server builds SQL text from values: some quotes/backslashes fail or are altered"
CPP_TEXT_LIMIT = "MySQL's TEXT column holds 65535 bytes: longer property values fail in the C++ server"
WILDCARD_CLASS = "wildcards in class property names / class names: the C++ server passes them to LIKE unescaped"

# step id -> server -> why that server's reply differs from ours
DIFFERENCES: dict[str, dict[str, str]] = {
    "fresh-tgtest": {PY: "PyTango's DbImportDevice shows the version 'nada' as '0'"},
    "fresh-access-cmd": {PY: PY_FRESH},
    "fresh-dserver-access-cmd": {PY: PY_FRESH},
    "fresh-server-info": {PY: PY_FRESH},
    "fresh-attr-alias-inventory": {PY: "PyTango's DbMySqlSelect counts 1 field for an empty result"},
    "add-empty-field": {CPP: CPP_ACCEPTS_BAD_NAME},
    "add-four-fields": {CPP: CPP_ACCEPTS_BAD_NAME},
    "cleanup-empty-field": {CPP: CPP_ACCEPTS_BAD_NAME},
    "cleanup-four-fields": {CPP: CPP_ACCEPTS_BAD_NAME},
    "devlist-one-arg": {PY: PY_CRASH},
    "instances-underscore": {PY: "PyTango's DbGetInstanceNameList treats '_' as a wildcard"},
    "domains-alias": {PY: "PyTango's domain/family/member lists ignore aliases"},
    "alias-device-empty": {PY: "PyTango's DbGetAliasDevice treats '' as '*'"},
    "device-alias-none": {PY: "PyTango's DbGetDeviceAlias fails with a Python exception for a device without alias"},
    "device-alias-missing": {PY: "PyTango's DbGetDeviceAlias says DB_DeviceNotDefined, the C++ one DB_AliasNotDefined"},
    "put-alias-space": {PY: "PyTango's server accepts ' ' and '/' in aliases"},
    "put-alias-slash": {PY: "PyTango's server accepts ' ' and '/' in aliases"},
    "put-alias-missing-device": {PY: "the reference servers accept an alias for a device that does not exist "
                                     "and store nothing; we say so (DB_DeviceNotDefined)",
                                 CPP: "the reference servers accept an alias for a device that does not exist "
                                      "and store nothing; we say so (DB_DeviceNotDefined)"},
    "import-exported-admin": {PY: "PyTango stores pid 'null' as 0, the C++ server as -1"},
    "import-unexported": {PY: PY_UNEXPORT},
    "info-unexported": {PY: PY_UNEXPORT},
    "get-dev-props-device-only": {PY: "PyTango answers [device, '0'], the C++ server DB_IncorrectArguments"},
    "dev-prop-list-one-arg": {PY: PY_CRASH, CPP: CPP_CORBA},
    "dev-prop-hist-all": {PY: PY_HISTORY_MIX},
    "dev-prop-hist-deleted": {PY: PY_HISTORY_DELETED},
    "dev-prop-hist-all-after": {PY: PY_HISTORY_MIX},
    "dev-prop-hist-one-arg": {PY: PY_CRASH},
    "put-dev-prop-truncated": {PY: PY_CRASH, CPP: CPP_CORBA},
    "put-dev-prop-bad-count": {PY: PY_CRASH, CPP: "the C++ server reads the count 'x' as 0 and does nothing"},
    "put-dev-prop-short-values": {PY: PY_CRASH, CPP: CPP_CORBA},
    "put-dev-prop-device-only": {PY: PY_CRASH, CPP: CPP_CORBA},
    "dev-prop-list-after-bad": {CPP: CPP_PARTIAL},
    "get-class-props": {PY: "PyTango orders the values of a wildcard class property by count only",
                        CPP: WILDCARD_CLASS},
    "class-prop-list-wild": {CPP: WILDCARD_CLASS},
    "class-prop-hist": {PY: PY_HISTORY_MIX},
    "class-prop-hist-all": {PY: "PyTango's DbGetClassPropertyHist takes no wildcard"},
    "class-prop-hist-after": {PY: "PyTango's DbGetClassPropertyHist takes no wildcard"},
    "get-obj-props": {PY: "PyTango orders the values of a wildcard property by count only"},
    "obj-prop-list-one-arg": {PY: PY_CRASH},
    "obj-prop-hist-all": {PY: PY_HISTORY_MIX},
    "obj-prop-hist-after": {PY: PY_HISTORY_MIX},
    "attr-hist": {PY: PY_HISTORY_MIX},
    "attr-hist-memorized": {PY: "PyTango records memorized values (__value) in the history, the C++ server "
                                "does not"},
    "attr-hist-two-args": {PY: PY_CRASH},
    "delete-attr-prop-bad-device": {PY: PY_CRASH},
    "attr-hist-after-delete": {PY: PY_HISTORY_MIX},
    "put-attr-props-bad": {PY: PY_CRASH, CPP: CPP_CORBA},
    "get-attr-props-after-bad": {CPP: CPP_PARTIAL},
    "put-dev-prop-quotes": {CPP: CPP_ESCAPING},
    "get-dev-prop-quotes": {CPP: CPP_ESCAPING},
    "get-dev-prop-backslash-quote": {CPP: CPP_ESCAPING},
    "put-dev-prop-long": {CPP: CPP_TEXT_LIMIT},
    "get-dev-props-long": {CPP: CPP_TEXT_LIMIT},
    "put-dev-prop-sql": {CPP: CPP_ESCAPING},
    "quote-prop-list": {CPP: f"{CPP_ESCAPING}; {CPP_TEXT_LIMIT}; {CPP_PARTIAL}"},
    "class-attr-hist": {PY: "PyTango orders the history by attribute and property name, not by time"},
    "put-pipe-props": {PY: PY_NO_PIPES},
    "get-pipe-props": {PY: PY_NO_PIPES},
    "pipe-list": {PY: PY_NO_PIPES},
    "put-class-pipe-props": {PY: PY_NO_PIPES},
    "get-class-pipe-props": {PY: PY_NO_PIPES},
    **{step: {PY: PY_NO_PIPE_COMMAND} for step in (
        "put-pipe-props-more", "pipe-hist", "delete-pipe-prop", "pipe-hist-after-delete", "delete-pipe",
        "pipe-list-after-delete", "delete-all-pipe-props", "pipe-list-empty", "put-class-pipe-props-more",
        "class-pipe-list", "class-pipe-hist", "delete-class-pipe-prop", "delete-class-pipe",
        "class-pipe-list-after-delete", "class-pipe-hist-after-delete", "forwarded-attributes")},
    "get-pipe-props-two": {PY: PY_NO_PIPES},
    "get-class-pipe-props-two": {PY: PY_NO_PIPES},
    "fresh-info": {PY: PY_INFO},
    "info-final": {PY: PY_INFO,
                   CPP: "the property counts follow the listed differences: property values the C++ server "
                        "could not store (quotes, > 64 KiB) and the part of malformed puts it wrote"},
    "put-attr-alias-space": {PY: "PyTango's server accepts ' ' in attribute aliases"},
    "attr-alias-inventory": {PY: "PyTango's server accepted the alias 'bad alias' earlier"},
    "server-cache": {PY: "PyTango's server does not implement DbGetDataForServerCache"},
    "server-cache-missing": {PY: "PyTango's server does not implement DbGetDataForServerCache"},
    "server-cache-one-arg": {PY: "PyTango's server does not implement DbGetDataForServerCache"},
    "empty-array": {PY: PY_CRASH},
    "empty-array-put": {PY: PY_CRASH, CPP: CPP_CORBA},
    "rename-one-arg": {PY: "PyTango's DbRenameServer errors have other reasons than the C++ one's"},
    "rename-bad": {PY: "PyTango's DbRenameServer errors have other reasons than the C++ one's"},
    "rename-taken": {PY: "PyTango's DbRenameServer errors have other reasons than the C++ one's"},
    "delete-server-missing": {PY: "PyTango's DbDeleteServer accepts a server that does not exist"},
    "props-after-delete-server": {PY: "PyTango's DbDeleteServer keeps the devices' properties, the C++ one "
                                      "deletes them"},
}

PY_EMPTY_IS_STAR = "PyTango's server takes an empty pattern for '*' here"
DIFFERENCES.update({
    "hostile-DbGetAttributeAliasList-empty": {PY: PY_EMPTY_IS_STAR},
    "hostile-DbGetDeviceAliasList-empty": {PY: PY_EMPTY_IS_STAR},
    "hostile-DbGetClassPropertyList-empty": {PY: PY_EMPTY_IS_STAR},
    "hostile-DbGetDeviceAttributeList-empty": {PY: PY_EMPTY_IS_STAR},
    "hostile-DbGetInstanceNameList-percent": {PY: "PyTango's DbGetInstanceNameList passes '%' to LIKE: every instance"},
    "hostile-DbGetInstanceNameList-star-underscore": {PY: "PyTango's DbGetInstanceNameList treats '_' as a wildcard "
                                                          "and misses the literal one"},
    "hostile-DbGetClassPropertyList-percent": {CPP: WILDCARD_CLASS},
    "hostile-DbGetClassPropertyList-star-underscore": {CPP: WILDCARD_CLASS},
    **{f"hostile-{command}-{kind}": {PY: PY_NO_PIPE_COMMAND}
       for command in ("DbGetDevicePipeList", "DbGetClassPipeList") for kind in HOSTILE_PATTERNS},
})

#: steps whose reply from the C++ server holds the same items as ours in another order: MySQL's
#: case-insensitive collation folds to upper case, ours (and PyTango's sqlite) to lower case, so
#: ``_`` sorts after letters there and before them here (``mydev`` < ``my_dev`` < ``MyDev``...).
CPP_ORDER_ONLY: set[str] = {
    "wide-all", "wide-diff", "wide-diff-upper", "classlist", "classlist-case", "devlist-wild", "families",
    "aliases-after", "inventory", "select-no-keyword", "renamed-classlist", "wide-after-delete",
    "hostile-DbGetDeviceServerClassList-star-underscore",
}


def sorted_reply(value: Any, step_command: str) -> Any:
    """The reply with its items (or DbMySqlSelect rows, DbGetDeviceClassList pairs) sorted."""
    if isinstance(value, tuple) and step_command == "DbMySqlSelect":
        flags, cells = value
        n_rows, n_fields = flags[-2], flags[-1]
        rows = sorted(zip(*[iter(zip(flags[:-2], cells))] * n_fields)) if n_fields else []
        return (n_rows, n_fields, rows)
    if isinstance(value, list) and step_command == "DbGetDeviceClassList":
        return sorted(zip(value[0::2], value[1::2]))
    if isinstance(value, list):
        return sorted(value, key=repr)
    return value

_DATE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|\d\d-\d\d-\d{4} at \d\d:\d\d:\d\d|"
                   r"\d{1,2}(st|nd|rd|th) [A-Z][a-z]+ \d{4} at \d\d:\d\d:\d\d)$")


def normalize(value: Any) -> Any:
    """Make replies comparable: dates become ``<date>``, the long IORs of real servers ``<IOR>``."""
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, list) for v in value):
        return ([int(v) for v in value[0]], [normalize(v) for v in value[1]])
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, str):
        if _DATE.match(value):
            return "<date>"
        if value.startswith("Running since "):  # DbInfo
            return "Running since <date>"
        if value.startswith("IOR:") and len(value) > 60:
            return "<IOR>"
    return value


def outcome(call: Callable[[], Any], reason_of: Callable[[BaseException], str | None]) -> Any:
    """The normalized reply, or ``("DevFailed", reason)``."""
    try:
        return normalize(call())
    except Exception as exc:  # noqa: BLE001 - any DevFailed-like error becomes its reason
        reason = reason_of(exc)
        if reason is None:
            raise
        return ("DevFailed", reason)
