# bash completion for fuse(1)                                  -*- shell-script -*-
#
# Installed as $(PREFIX)/share/bash-completion/completions/fuse, where
# bash-completion loads it on the first TAB after "fuse"; or source it from
# ~/.bashrc. Completes:
#   fuse <TAB>                task names (fuse --shortlist)
#   fuse -<TAB>               options (read from fuse --help)
#   fuse -d <TAB>             task names;  fuse -f <TAB>  files
#   fuse app_server:<TAB>     the task's keys (the "arguments:" of fuse -d),
#   fuse app:tag=x,<TAB>      then after each comma; no_cache=, pull= and push=
#                             offer true/false, healthcheck= offers none
# Tasks come from the project fuse would load here, honouring -f on the line.

# Runs the fuse of the command line with the -f given there, if any, so
# completion sees exactly the tasks the command would run.
_fuse_run()
{
    local fuse=${COMP_WORDS[0]:-fuse} i w file=
    for ((i = 1; i < ${#_fuse_words[@]}; i++)); do
        w=${_fuse_words[i]}
        case $w in
        -f | --fusefile | --iidfile) file=${_fuse_words[i + 1]} ;;
        --fusefile=*) file=${w#--fusefile=} ;;
        esac
    done
    fuse=${fuse/#\~/$HOME}
    file=${file/#\~/$HOME}
    if [[ $file ]]; then
        "$fuse" -f "$file" "$@" 2>/dev/null
    else
        "$fuse" "$@" 2>/dev/null
    fi
}

# The keys a task accepts, from fuse -d TASK ("    arguments: a, b, c").
_fuse_keys()
{
    local -a keys
    IFS=$', \t' read -ra keys < <(_fuse_run -d "$1" | sed -n 's/^ *arguments: //p')
    ((${#keys[@]})) && printf '%s\n' "${keys[@]}"
}

# The option words of fuse --help ("  -l, --list   ...", "      --shortlist").
_fuse_options()
{
    _fuse_run --help | sed -n 's/^ *\(-.*\)/\1/p' | sed 's/  .*//' | grep -o -- '-[-a-z]*'
}

_fuse()
{
    COMPREPLY=()
    # bash splits "app:tag=x" at ':' and '=' (COMP_WORDBREAKS); fuse's words
    # are whole, so take the line up to the cursor and split it at blanks.
    local line=${COMP_LINE:0:${COMP_POINT:-${#COMP_LINE}}}
    local -a _fuse_words
    read -ra _fuse_words <<<"$line"
    [[ $line == *[[:space:]] || -z $line ]] && _fuse_words+=("")
    local n=${#_fuse_words[@]}
    local cur=${_fuse_words[n - 1]} prev=
    ((n > 1)) && prev=${_fuse_words[n - 2]}

    local -a cands
    local nospace=
    case $prev in
    -f | --fusefile)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return
        ;;
    -d | --display)
        mapfile -t cands < <(_fuse_run --shortlist)
        ;;
    --timeout | -j | --jobs | --engine) return ;;
    *)
        if [[ $cur == -* ]]; then
            mapfile -t cands < <(_fuse_options)
        elif [[ $cur == *:* ]]; then
            # TASK:k=v,k=v,KEY -- complete the last KEY (or a boolean's value).
            local task=${cur%%:*} done=${cur%,*} last=${cur##*,} k
            [[ $done == "$cur" ]] && done=${cur%%:*} last=${cur#*:}
            if [[ $cur == *,* ]]; then done+=","; else done+=":"; fi
            if [[ $last == no_cache=* || $last == pull=* || $last == push=* ]]; then
                for k in true false; do cands+=("$done${last%%=*}=$k"); done
            elif [[ $last == healthcheck=* ]]; then
                cands+=("${done}healthcheck=none")
            elif [[ $last != *=* ]]; then
                while read -r k; do
                    [[ $k ]] && cands+=("$done$k=")
                done < <(_fuse_keys "$task")
                nospace=1
            fi
        else
            mapfile -t cands < <(_fuse_run --shortlist)
        fi
        ;;
    esac
    mapfile -t COMPREPLY < <(compgen -W "${cands[*]}" -- "$cur")
    [[ $nospace ]] && compopt -o nospace 2>/dev/null
    # bash replaces only the part of the word after its last break
    # character (':' and '=' by default): hand back that part only.
    local wb=${COMP_WORDBREAKS:-:=}
    local brk=${cur%"${cur##*["$wb"]}"} i
    if [[ $brk ]]; then
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=${COMPREPLY[i]#"$brk"}
        done
    fi
}

complete -F _fuse fuse
