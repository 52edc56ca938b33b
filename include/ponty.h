/* ponty.h — everything a ponty service includes. */
#ifndef PONTY_H
#define PONTY_H

#include <jansson.h>

#include "ponty/arena.h"
#include "ponty/client.h"
#include "ponty/error.h"
#include "ponty/memo.h"
#include "ponty/request.h"
#include "ponty/retry.h"
#include "ponty/route.h"
#include "ponty/server.h"
#include "ponty/sync.h"
#include "ponty/task.h"
#include "ponty/offload.h"
#include "ponty/resilience.h"
#include "ponty/fields.h"
#include "ponty/jsonschema.h"
#include "ponty/hooks.h"
#include "ponty/observe.h"
#include "ponty/openapi.h"
#include "ponty/testclient.h"
#include "ponty/version.h"

#endif
