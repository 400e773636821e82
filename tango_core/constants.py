"""PyTango's ``tango.constants``: the Tango library's constants a client script may read.

The values are the Tango protocol's and library's (cppTango 10 / PyTango 10.3.1): default
timeouts, event periods and socket high-water marks, polling and locking limits, the names of
special objects and the texts of unset configuration fields, and the ``API_*`` error reasons.
The version numbers of cppTango, PyTango's build and its Python are left out: they describe
another library, not tango_core (``tango_core.Release`` does that).
"""

# -- client timeouts (ms) ------------------------------------------------------------------------
CLNT_TIMEOUT = 3000
CLNT_TIMEOUT_STR = "3000"
NARROW_CLNT_TIMEOUT = 100
DEFAULT_TIMEOUT = 3200
DB_TIMEOUT = 13000
DB_CONNECT_TIMEOUT = 25000
DB_RECONNECT_TIMEOUT = 20000
DB_START_PHASE_RETRIES = 3

# -- events ----------------------------------------------------------------------------------------
EVENT_HEARTBEAT_PERIOD = 10        # s: a channel without heartbeat this long is dead
EVENT_RESUBSCRIBE_PERIOD = 600     # s: a server drops a subscription not confirmed this long
DEFAULT_EVENT_PERIOD = 1000        # ms: periodic events when event_period is not set
ZMQ_EVENT_PROT_VERSION = 1
HEARTBEAT_EVENT_NAME = "heartbeat"
HEARTBEAT_METHOD_NAME = "push_heartbeat_event"
EVENT_METHOD_NAME = "push_zmq_event"
HEARTBEAT = "Event heartbeat"
ALL_EVENTS = 0
PUB_HWM = 1000
SUB_HWM = 1000
SUB_SEND_HWM = 10000
MAX_SOCKET_SUB = 10
MCAST_PROT = "epgm://"
MCAST_HOPS = 5
PGM_RATE = 81920
PGM_IVL = 20000
CTRL_SOCK_ENDPOINT = "inproc://control"
NOTIFD_CHANNEL = "notifd_channel"

# -- devices, polling, locking --------------------------------------------------------------------
DevVersion = 6                     # the IDL version of a Tango 10 device
MIN_IDL_CONF5 = 5
MIN_IDL_DEV_INTR = 5
DefaultBlackBoxDepth = 50
DefaultPollRingDepth = 10
DefaultMaxSeq = 20
DEFAULT_POLL_OLD_FACTOR = 4
DEFAULT_POLLING_THREADS_POOL_SIZE = 1
MIN_POLL_PERIOD = 5
LOCAL_POLL_REQUEST = "_local"
LOCAL_REQUEST_STR_SIZE = 6
PollAttribute = "attribute"
PollCommand = "command"
DEFAULT_LOCK_VALIDITY = 10         # s
MIN_LOCK_VALIDITY = 2              # s
DEVICE_UNLOCKED_REASON = "API_DeviceUnlocked"
TG_IMP_MINOR_TO = 10               # IMP_LIMIT minor codes of CORBA attribute failures
TG_IMP_MINOR_DEVFAILED = 11
TG_IMP_MINOR_NON_DEVFAILED = 12
MAX_TRANSFER_SIZE = "268435456"
MAX_GIOP_PER_SERVER = "128"
TANGO_FLOAT_PRECISION = 15

# -- names of special objects and settings --------------------------------------------------------
EnvVariable = "TANGO_HOST"
WindowsEnvVariable = "TANGO_ROOT"
USER_ENV_VAR_FILE = ".tangorc"
TangoHostNotSet = "Undef"
TG_LOCAL_HOST = "localhost"
DbObjName = "database"
DATABASE_CLASS = "DataBase"
DSDeviceDomain = "dserver"
CONTROL_SYSTEM = "CtrlSystem"
SERVICE_PROP_NAME = "Services"
ACCESS_SERVICE = "AccessControl"
AllAttr = "All attributes"
AllAttr_3 = "All attributes_3"
AllCmd = "All commands"
MemAttrPropName = "__value"
MaxServerNameLength = 255
MaxDevPropLength = 255
NoClass = "noclass"
MessBoxTitle = "Tango Device Server"
InitialOutput = "Initial Output"
DefaultDocUrl = "http://www.tango-controls.org"

# -- texts of unset configuration fields ----------------------------------------------------------
NotSet = "Uninitialised"
DescNotSet = "Uninitialised"
StatusNotSet = "Not initialised"
DescNotSpec = "No description"
LabelNotSpec = "No label"
UnitNotSpec = ""
StdUnitNotSpec = "No standard unit"
DispUnitNotSpec = "No display unit"
FormatNotSpec = "%6.2f"
FormatNotSpec_FL = "%6.2f"
FormatNotSpec_INT = "%d"
FormatNotSpec_STR = "%s"
AlrmValueNotSpec = "Not specified"
AssocWritNotSpec = "None"
RootAttNotDef = "Not defined"
MemNotUsed = "Not used yet"
ResNotDefined = "0"
NotANumber = "NaN"
DefaultWritAttrProp = False

# -- logging targets --------------------------------------------------------------------------------
kLogTargetConsole = "console"
kLogTargetFile = "file"
kLogTargetDevice = "device"
kLogTargetSep = "::"

# -- error reasons (the constant is the reason text) ------------------------------------------------
API_AttrConfig = "API_AttrConfig"
API_AttrEventProp = "API_AttrEventProp"
API_AttrIncorrectDataNumber = "API_AttrIncorrectDataNumber"
API_AttrNoAlarm = "API_AttrNoAlarm"
API_AttrNotAllowed = "API_AttrNotAllowed"
API_AttrNotFound = "API_AttrNotFound"
API_AttrNotWritable = "API_AttrNotWritable"
API_AttrOptProp = "API_AttrOptProp"
API_AttrPropValueNotSet = "API_AttrPropValueNotSet"
API_AttrValueNotSet = "API_AttrValueNotSet"
API_AttrWrongDefined = "API_AttrWrongDefined"
API_AttrWrongMemValue = "API_AttrWrongMemValue"
API_BadConfigurationProperty = "API_BadConfigurationProperty"
API_BlackBoxArgument = "API_BlackBoxArgument"
API_BlackBoxEmpty = "API_BlackBoxEmpty"
API_CannotCheckAccessControl = "API_CannotCheckAccessControl"
API_CannotOpenFile = "API_CannotOpenFile"
API_CantActivatePOAManager = "API_CantActivatePOAManager"
API_CantCreateClassPoa = "API_CantCreateClassPoa"
API_CantCreateLockingThread = "API_CantCreateLockingThread"
API_CantFindLockingThread = "API_CantFindLockingThread"
API_CantGetClientIdent = "API_CantGetClientIdent"
API_CantGetDevObjectId = "API_CantGetDevObjectId"
API_CantInstallSignal = "API_CantInstallSignal"
API_CantRetrieveClass = "API_CantRetrieveClass"
API_CantRetrieveClassList = "API_CantRetrieveClassList"
API_CantStoreDeviceClass = "API_CantStoreDeviceClass"
API_ClassNotFound = "API_ClassNotFound"
API_CmdArgumentTypeNotSupported = "API_CmdArgumentTypeNotSupported"
API_CommandNotAllowed = "API_CommandNotAllowed"
API_CommandNotFound = "API_CommandNotFound"
API_CorbaSysException = "API_CorbaSysException"
API_CorruptedDatabase = "API_CorruptedDatabase"
API_DatabaseAccess = "API_DatabaseAccess"
API_DeviceLocked = "API_DeviceLocked"
API_DeviceNotFound = "API_DeviceNotFound"
API_DeviceNotLocked = "API_DeviceNotLocked"
API_DeviceUnlockable = "API_DeviceUnlockable"
API_DeviceUnlocked = "API_DeviceUnlocked"
API_EventSupplierNotConstructed = "API_EventSupplierNotConstructed"
API_IncoherentDbData = "API_IncoherentDbData"
API_IncoherentDevData = "API_IncoherentDevData"
API_IncoherentValues = "API_IncoherentValues"
API_IncompatibleAttrDataType = "API_IncompatibleAttrDataType"
API_IncompatibleCmdArgumentType = "API_IncompatibleCmdArgumentType"
API_InitMethodNotFound = "API_InitMethodNotFound"
API_InitNotPublic = "API_InitNotPublic"
API_InitThrowsException = "API_InitThrowsException"
API_JavaRuntimeSecurityException = "API_JavaRuntimeSecurityException"
API_MemoryAllocation = "API_MemoryAllocation"
API_MethodArgument = "API_MethodArgument"
API_MethodNotFound = "API_MethodNotFound"
API_MissedEvents = "API_MissedEvents"
API_NotSupportedFeature = "API_NotSupportedFeature"
API_NtDebugWindowError = "API_NtDebugWindowError"
API_OverloadingNotSupported = "API_OverloadingNotSupported"
API_PolledDeviceNotInPoolConf = "API_PolledDeviceNotInPoolConf"
API_PolledDeviceNotInPoolMap = "API_PolledDeviceNotInPoolMap"
API_PollingThreadNotFound = "API_PollingThreadNotFound"
API_ReadOnlyMode = "API_ReadOnlyMode"
API_SignalOutOfRange = "API_SignalOutOfRange"
API_SystemCallFailed = "API_SystemCallFailed"
API_WAttrOutsideLimit = "API_WAttrOutsideLimit"
API_WizardConfError = "API_WizardConfError"
API_WrongEventData = "API_WrongEventData"
API_WrongHistoryDataBuffer = "API_WrongHistoryDataBuffer"
API_WrongLockingStatus = "API_WrongLockingStatus"
API_ZmqInitFailed = "API_ZmqInitFailed"
