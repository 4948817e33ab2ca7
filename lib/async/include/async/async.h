// Everything of lib/async in one include.
#pragma once

#include <async/channel.h>
#include <async/executor.h>
#include <async/join_handle.h>
#include <async/select.h>
#include <async/sync.h>
#include <async/task.h>
#include <async/time.h>
