; NSIS script of the Vigil Windows installer (built on Linux by package.sh
; with Debian's makensis). Defines passed by package.sh:
;   VERSION  git describe string   WINVER  a.b.c.d   SRC  dir with vigil.exe,
;   vigil.ico, demo.vigil.yaml     OUTFILE  the setup.exe to write
Unicode true
SetCompressor /SOLID lzma
RequestExecutionLevel admin
!include "MUI2.nsh"
!include "x64.nsh"

!define APPNAME "Vigil"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Vigil"

Name "${APPNAME} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${APPNAME}"
InstallDirRegKey HKLM "Software\${APPNAME}" "InstallDir"

VIProductVersion "${WINVER}"
VIAddVersionKey "ProductName" "${APPNAME}"
VIAddVersionKey "FileDescription" "Vigil operator HMI/SCADA installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "CompanyName" "Vigil developers"
VIAddVersionKey "LegalCopyright" "Vigil developers"

!define MUI_ICON "${SRC}/vigil.ico"
!define MUI_UNICON "${SRC}/vigil.ico"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "Vigil needs 64-bit Windows."
    Abort
  ${EndIf}
  SetRegView 64
FunctionEnd

Section "Vigil" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "${SRC}/vigil.exe"
  File "${SRC}/vigil.ico"
  File "${SRC}/demo.vigil.yaml"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; Start menu: the GUI on the demo, for everyone.
  SetShellVarContext all
  CreateDirectory "$SMPROGRAMS\${APPNAME}"
  CreateShortcut "$SMPROGRAMS\${APPNAME}\Vigil.lnk" "$INSTDIR\vigil.exe" "" "$INSTDIR\vigil.ico"
  CreateShortcut "$SMPROGRAMS\${APPNAME}\Uninstall Vigil.lnk" "$INSTDIR\uninstall.exe"

  WriteRegStr HKLM "Software\${APPNAME}" "InstallDir" "$INSTDIR"
  ; Apps & features entry.
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayName" "${APPNAME}"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "Publisher" "Vigil developers"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\vigil.ico"
  WriteRegStr HKLM "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "URLInfoAbout" "https://github.com/vigil-hmi/vigil"
  WriteRegStr HKLM "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoRepair" 1

  ; "Open with Vigil" for project files. Windows picks a handler by the last
  ; extension only (.yaml), so Vigil registers as an OpenWithProgids choice
  ; for .yaml rather than taking the default away from editors.
  WriteRegStr HKLM "Software\Classes\Vigil.Project" "" "Vigil project"
  WriteRegStr HKLM "Software\Classes\Vigil.Project\DefaultIcon" "" "$INSTDIR\vigil.ico"
  WriteRegStr HKLM "Software\Classes\Vigil.Project\shell\open\command" "" '"$INSTDIR\vigil.exe" open "%1"'
  WriteRegStr HKLM "Software\Classes\.yaml\OpenWithProgids" "Vigil.Project" ""
  WriteRegStr HKLM "Software\Classes\Applications\vigil.exe\shell\open\command" "" '"$INSTDIR\vigil.exe" open "%1"'
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
SectionEnd

Function un.onInit
  SetRegView 64
FunctionEnd

Section "Uninstall"
  SetShellVarContext all
  Delete "$SMPROGRAMS\${APPNAME}\Vigil.lnk"
  Delete "$SMPROGRAMS\${APPNAME}\Uninstall Vigil.lnk"
  RMDir "$SMPROGRAMS\${APPNAME}"
  Delete "$INSTDIR\vigil.exe"
  Delete "$INSTDIR\vigil.ico"
  Delete "$INSTDIR\demo.vigil.yaml"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  ; User data (%LOCALAPPDATA%\Vigil, %APPDATA%\fyne\...) stays: it is the
  ; operator's history and settings.
  DeleteRegValue HKLM "Software\Classes\.yaml\OpenWithProgids" "Vigil.Project"
  DeleteRegKey HKLM "Software\Classes\Vigil.Project"
  DeleteRegKey HKLM "Software\Classes\Applications\vigil.exe"
  DeleteRegKey HKLM "${UNINSTKEY}"
  DeleteRegKey HKLM "Software\${APPNAME}"
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
SectionEnd
