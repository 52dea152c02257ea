/*
 * callbacks.h - the libmilter filter description.
 */
#ifndef SG_CALLBACKS_H
#define SG_CALLBACKS_H

#include <libmilter/mfapi.h>

/* The filter's registration (name, version, flags, callbacks). */
extern struct smfiDesc sg_filter_desc;

/* The macros the filter asks the MTA for at the stages that use them
 * (smfi_setsymlist); other stages keep the MTA's defaults. */
/* {client_connections}: Postfix's smtpd always has it, its cleanup (local
 * submission) never does; a recipient can be refused at RCPT time only
 * over SMTP (cleanup treats it as a configuration error and retries). */
#define SG_MACROS_ENVFROM "i {auth_authen} {client_connections}"
#define SG_MACROS_EOM     "i"

#endif
