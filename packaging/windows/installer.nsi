; SellerConnect setup for Windows, built with NSIS 3 by scripts/package.sh,
; which defines APP_NAME, APP_ID, VERSION, VERSION4 (a.b.c.build), HOMEPAGE,
; APP_EXE, APP_ICON, OUTFILE and, when signing, SIGN_CMD.
;
; Per-user: no administrator rights, installs into
; %LOCALAPPDATA%\Programs\<APP_NAME>, a Start-menu shortcut for this user and
; the uninstaller registered under HKCU (Settings > Apps lists it). Installing
; over an older version first runs that version's uninstaller in place.
; Accounts, settings and tokens live in %APPDATA% and the Credential Manager,
; not in the install folder: upgrades and uninstalls keep them, and the
; uninstaller says so.
;
; A 64-bit setup (amd64 stub and plugins, which Debian's nsis ships): the app
; is amd64 only, and a 64-bit setup also runs under wine64 without the
; 32-bit Wine, which is how scripts/package-check.sh installs, upgrades and
; uninstalls it.

!macro REQUIRE NAME
  !ifndef ${NAME}
    !error "define ${NAME} with -D${NAME}=... (scripts/package.sh does)"
  !endif
!macroend
!insertmacro REQUIRE APP_NAME
!insertmacro REQUIRE APP_ID
!insertmacro REQUIRE VERSION
!insertmacro REQUIRE VERSION4
!insertmacro REQUIRE HOMEPAGE
!insertmacro REQUIRE APP_EXE
!insertmacro REQUIRE APP_ICON
!insertmacro REQUIRE OUTFILE

!define EXE_NAME "${APP_NAME}.exe"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"
; The login item (autostart.RunKey, autostart.StartupApprovedKey).
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define RUN_KEY_APPROVED "Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
!define DATA_NOTE "Your accounts and settings in $APPDATA\${APP_NAME} and the tokens in Windows Credential Manager are kept. To remove them too, disconnect the accounts in ${APP_NAME} before uninstalling, then delete that folder."

Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

Name "${APP_NAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
BrandingText "${APP_NAME} ${VERSION}"

VIProductVersion "${VERSION4}"
VIFileVersion "${VERSION4}"
VIAddVersionKey "ProductName" "${APP_NAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP_NAME} ${VERSION} Setup"
VIAddVersionKey "CompanyName" "${APP_NAME}"
VIAddVersionKey "LegalCopyright" "${APP_NAME}"

!ifdef SIGN_CMD
  ; The uninstaller is generated inside the setup; sign it before it is
  ; packed (the setup itself is signed afterwards by package.sh).
  !uninstfinalize '${SIGN_CMD} "%1"' = 0
!endif

!include "MUI2.nsh"
!include "FileFunc.nsh"

!define MUI_ICON "${APP_ICON}"
!define MUI_UNICON "${APP_ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE_NAME}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!define MUI_UNCONFIRMPAGE_TEXT_TOP "${APP_NAME} will be removed from your computer. ${DATA_NOTE}"
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; A running exe cannot be overwritten or deleted; opening it for writing
; tells whether it is running without depending on its window title.
!macro WAIT_FOR_APP_EXIT UN
Function ${UN}WaitForAppExit
  retry:
    IfFileExists "$INSTDIR\${EXE_NAME}" 0 done
    ClearErrors
    FileOpen $0 "$INSTDIR\${EXE_NAME}" a
    IfErrors busy
    FileClose $0
    Goto done
  busy:
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "${APP_NAME} is running. Quit it, then press Retry." /SD IDCANCEL IDRETRY retry
    Abort "${APP_NAME} is still running."
  done:
FunctionEnd
!macroend
!insertmacro WAIT_FOR_APP_EXIT ""
!insertmacro WAIT_FOR_APP_EXIT "un."

; Runs the installed version's uninstaller silently in its own folder (_?=
; makes ExecWait wait for it), so files an older version had and this one
; does not are removed, and a move to another folder leaves nothing behind.
Function UninstallPrevious
  ReadRegStr $R0 HKCU "${UNINST_KEY}" "InstallLocation"
  StrCmp $R0 "" done
  IfFileExists "$R0\uninstall.exe" 0 done
  ReadRegStr $R1 HKCU "${UNINST_KEY}" "DisplayVersion"
  DetailPrint "Removing ${APP_NAME} $R1 from $R0"
  ; /UPGRADE: the seller's start-at-login choice outlives the upgrade.
  ExecWait '"$R0\uninstall.exe" /S /UPGRADE _?=$R0' $R2
  StrCmp $R2 "0" 0 failed
  Delete "$R0\uninstall.exe"
  RMDir "$R0"
  Goto done
  failed:
    DetailPrint "The uninstaller of ${APP_NAME} $R1 returned $R2; installing over it"
  done:
FunctionEnd

Section "${APP_NAME}" SecApp
  SectionIn RO
  Call WaitForAppExit
  Call UninstallPrevious

  SetOutPath "$INSTDIR"
  SetOverwrite on
  File "/oname=${EXE_NAME}" "${APP_EXE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortCut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${EXE_NAME}" "" "$INSTDIR\${EXE_NAME}" 0

  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${EXE_NAME},0"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${APP_NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "URLInfoAbout" "${HOMEPAGE}"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "Uninstall"
  Call un.WaitForAppExit
  Delete "$INSTDIR\${EXE_NAME}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  DeleteRegKey HKCU "${UNINST_KEY}"
  ; Start at login is a value the app writes under the user's Run key
  ; (Settings); it goes with the app, except when a newer version's setup
  ; runs this uninstaller to replace it.
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/UPGRADE" $R1
  IfErrors 0 keeplogin
    DeleteRegValue HKCU "${RUN_KEY}" "${APP_NAME}"
    DeleteRegValue HKCU "${RUN_KEY_APPROVED}" "${APP_NAME}"
  keeplogin:
  DetailPrint "${DATA_NOTE}"
SectionEnd
