dnl SG_CHECK_CFLAG(FLAG, [ACTION-IF-ACCEPTED], [ACTION-IF-NOT])
dnl Probe whether the C compiler accepts FLAG without a warning.
AC_DEFUN([SG_CHECK_CFLAG], [
    AC_MSG_CHECKING([whether $CC accepts $1])
    sg_save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS $1 -Werror"
    AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
        [AC_MSG_RESULT([yes]); CFLAGS=$sg_save_CFLAGS; $2],
        [AC_MSG_RESULT([no]); CFLAGS=$sg_save_CFLAGS; $3])
])

dnl SG_CHECK_LDFLAG(FLAG, [ACTION-IF-ACCEPTED], [ACTION-IF-NOT])
AC_DEFUN([SG_CHECK_LDFLAG], [
    AC_MSG_CHECKING([whether the linker accepts $1])
    sg_save_LDFLAGS=$LDFLAGS
    LDFLAGS="$LDFLAGS $1"
    AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
        [AC_MSG_RESULT([yes]); LDFLAGS=$sg_save_LDFLAGS; $2],
        [AC_MSG_RESULT([no]); LDFLAGS=$sg_save_LDFLAGS; $3])
])
