/** The shapes of the LearnFlow API (triage's public routes) that the pages read. */

export type Role = "student" | "teacher" | "admin";

export interface LoginReply {
  access_token: string;
  token_type: string;
  expires_in: number;
  user_id: string;
  role: Role;
}

export interface Me {
  user_id: string;
  role: Role;
  email: string;
  display_name: string;
  expires_at: string;
}

export interface ApiProblem {
  error: string;
  message: string;
  [detail: string]: unknown;
}

// --- learning --------------------------------------------------------------------------------

export interface ChatReply {
  reply: string;
  routed_to: string;
  session_id: string;
  message_id: string;
  intent: string;
  confidence: number;
  sources: string[];
  quiz?: (QuizView | QuizOutcome) | null;
  exercise_id?: string | null;
  /** Who wrote the reply: "offline" (the offline tutor, built from the lessons) or the model's
   * name; null or absent for triage's own replies (off-topic, quizzes, an app unavailable). */
  model?: string | null;
}

export type RunStatus = "ok" | "error" | "timeout" | "memory_limit" | "output_limit" | "killed" | "rejected";

export interface RunResult {
  status: RunStatus | string;
  exit_code: number | null;
  stdout: string;
  stderr: string;
  duration_ms: number;
  truncated: boolean;
  submission_id?: string;
}

export interface HiddenTestResult {
  name: string;
  status: string;
  explanation?: string;
  message?: string | null;
}

export interface CodeReview {
  score?: number;
  comments?: string[];
  praise?: string[];
  syntax_error?: string | null;
  categories?: Record<string, { score: number; out_of: number }>;
}

export interface GradeReply {
  submission_id?: string;
  exercise_id: string;
  status: string;
  passed: boolean;
  tests_passed: number;
  tests_total: number;
  summary?: string;
  explanation?: string;
  tests: HiddenTestResult[];
  review?: CodeReview;
}

// --- progress --------------------------------------------------------------------------------

export interface TopicProgress {
  topic: string;
  module_number: number | null;
  title: string;
  label?: string;
  mastery: number;
  level: string;
  level_label?: string;
  exercise_score?: number;
  quiz_score?: number;
  code_quality_score?: number;
  streak_days?: number;
  last_activity_at?: string | null;
  started?: boolean;
}

export interface StudentProgress {
  student_id: string;
  display_name: string;
  overall_mastery: number;
  topics: TopicProgress[];
}

export interface ExerciseCard {
  exercise_id: string;
  title: string;
  topic: string;
  topic_title: string;
  difficulty: string;
  prompt: string;
  starter: string;
  source?: string;
}

export interface NextExercise {
  student_id: string;
  exercise: ExerciseCard | null;
  reason: string;
}

// --- teaching --------------------------------------------------------------------------------

export interface ClassSummary {
  id: string;
  name: string;
  teacher_id: string;
  students: number;
}

export interface ClassStudent {
  id: string;
  display_name: string;
  email: string;
  average_mastery: number;
  mastery: Record<string, number>;
  open_alerts: number;
  last_activity_at?: string | null;
}

export interface ClassTopic {
  topic: string;
  title: string;
  average_mastery: number;
  students_started: number;
}

export interface ClassOverview {
  id: string;
  name: string;
  teacher_id: string;
  teacher_name: string;
  students: ClassStudent[];
  topics: ClassTopic[];
  open_alerts: number;
}

export interface AlertView {
  id: string;
  student_id: string;
  student_name: string;
  topic: string | null;
  topic_title: string | null;
  trigger: string;
  detail: string;
  status: string;
  created_at: string;
  resolved_at?: string | null;
}

export interface StudentReport {
  student: StudentProgress;
  summary: string;
  runs: number;
  failed_runs: number;
  error_types: Record<string, number>;
  exercises_passed: string[];
  exercises_unsolved: string[];
  open_alerts: AlertView[];
}

export interface CodeAttempt {
  tests?: Array<{ name: string; status: string }>;
  tests_passed?: number | null;
  tests_total?: number | null;
  id: string;
  exercise_id: string | null;
  topic: string | null;
  code: string;
  status: string;
  passed: boolean | null;
  stdout_excerpt?: string;
  stderr_excerpt?: string;
  duration_ms?: number | null;
  error_type?: string | null;
  created_at: string;
}

export interface GeneratedExercise {
  id?: string;
  exercise_id?: string;
  title: string;
  topic?: string;
  difficulty?: string;
  prompt?: string;
  status?: string;
  failure_reason?: string | null;
}

// --- quizzes ---------------------------------------------------------------------------------

export interface QuizQuestion {
  id: string;
  number: number;
  prompt: string;
  choices: string[];
}

export interface QuizResult {
  score: number;
  total: number;
  percent: number;
  event_id: string;
}

export interface QuizView {
  quiz_id: string;
  topic: string;
  topic_title: string;
  total: number;
  answered: number;
  score: number;
  question: QuizQuestion | null;
  result: QuizResult | null;
}

export interface QuizOutcome {
  quiz_id: string;
  question_id: string;
  choice: number;
  correct: boolean;
  correct_choice: number;
  explanation: string;
  answered: number;
  total: number;
  score: number;
  next_question: QuizQuestion | null;
  result: QuizResult | null;
}

export interface ChatHistory {
  session_id: string | null;
  turns: Array<{ message: string; at: string; reply: ChatReply }>;
}

export interface Draft {
  exercise_id: string;
  code: string | null;
  updated_at: string | null;
}

// --- notifications and assignments ----------------------------------------------------------

export interface NotificationItem {
  id: string;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  created_at: string;
  read_at: string | null;
}

export interface NotificationList {
  unread: number;
  items: NotificationItem[];
}

export interface MyAssignment {
  assignment_id: string;
  exercise_id: string;
  title: string;
  topic_title: string;
  difficulty: string;
  assigned_by: string;
  assigned_at: string;
  due_at: string | null;
  done: boolean;
}

export interface ClassAssignment {
  assignment_id: string;
  exercise_id: string;
  title: string;
  topic: string;
  whole_class: boolean;
  due_at: string | null;
  assigned_at: string;
  assigned_by: string;
  students: Array<{ id: string; display_name: string; done: boolean }>;
}

export interface TeacherExercise {
  exercise_id: string;
  class_id: string | null;
  exercise_status: string;
  step?: string | null;
  runtime_status?: string | null;
  reason?: string | null;
  validation?: {
    ok: boolean;
    reason?: string | null;
    reference_status?: string | null;
    starter_status?: string | null;
    tests_total?: number;
    repeatable?: boolean | null;
  } | null;
  title: string;
  topic: string;
  difficulty: string;
  prompt: string;
  starter: string;
  tests: string;
  solution: string;
  hints: Array<Record<string, string>>;
  review: string;
}

export interface GenerateReply {
  topic: string;
  module: string;
  difficulty: string;
  count: number;
  exercises: TeacherExercise[];
}

// --- enrollment ------------------------------------------------------------------------------

export interface RosterEntry {
  student_id: string;
  display_name: string;
  email: string;
  enrolled_at: string;
  removed_at: string | null;
}

export interface ClassFigures {
  enrolled: number;
  removed: number;
  welcomed: number;
  last_join_at: string | null;
  updated_at: string;
}

export interface Admission {
  class_id: string;
  name: string;
  join_code: string;
  capacity: number;
  closed: boolean;
  enrolled: number;
  figures: ClassFigures | null;
  roster: RosterEntry[];
}

export interface JoinReply {
  class_id: string;
  class_name: string;
  workflow_id: string;
  message: string;
}

// --- reports (debrief_agent.models ClassReport / StudentProgressReport) ---

export interface ModuleSpread {
  topic: string;
  title: string;
  not_started: number;
  beginner: number;
  learning: number;
  proficient: number;
  mastered: number;
}

export interface FailedExercise {
  exercise_id: string;
  title: string;
  topic: string | null;
  topic_title: string | null;
  failed_attempts: number;
  attempts: number;
  students_failed: number;
  students_passed: number;
}

export interface StudentTime {
  seconds: number;
  actions: number;
  active_days: number;
  last_action_at?: string | null;
}

export interface ReportStudent {
  student_id: string;
  display_name: string;
  email: string;
  removed: boolean;
  average_mastery: number;
  mastery: Record<string, number>;
  open_alerts: number;
  exercises_passed: number;
  failed_attempts: number;
  time_on_task: StudentTime;
  needs_help: string[];
}

export interface ClassReport {
  overview: ClassOverview;
  summary: string;
  needs_attention: { student_id: string; display_name: string; reasons: string[] }[];
  strongest_topic: string | null;
  weakest_topic: string | null;
  generated_at: string | null;
  active_gap_s: number;
  mastery_spread: ModuleSpread[];
  most_failed: FailedExercise[];
  students: ReportStudent[];
  time_on_task_s: number;
}

// --- timed exams (triage /exams) ---

export interface ExamPaperItem {
  position: number;
  id: string;
  kind: "quiz" | "exercise";
  title: string;
  prompt: string;
  choices: string[];
  starter: string | null;
}

export interface ExamAttempt {
  attempt_id: string;
  started_at: string;
  deadline: string;
  submitted: boolean;
  submit_reason: string | null;
  score: number | null;
  total: number | null;
  answered: string[];
  /** a running attempt: the choice the workflow holds per quiz question (0-based) */
  choices?: Record<string, number>;
  /** a running attempt: the code last saved per exercise */
  code?: Record<string, string>;
  workflow_id: string;
}

export interface ExamView {
  id: string;
  class_id: string;
  class_name: string;
  title: string;
  time_limit_s: number;
  opens_at: string;
  closes_at: string;
  items: number;
  state: "upcoming" | "open" | "closed";
  attempt: ExamAttempt | null;
  paper: ExamPaperItem[] | null;
}

export interface ExamDebriefItem {
  position: number;
  id: string;
  kind: "quiz" | "exercise";
  title: string;
  prompt: string;
  answered: boolean;
  correct: boolean;
  your_answer: string | null;
  right_answer: string | null;
  why: string;
  revisit: { lesson_id: string; title: string; module: string };
}

export interface ExamDebrief {
  exam: ExamView;
  score: number;
  total: number;
  answered: number;
  items: ExamDebriefItem[];
}

export interface ExamResults {
  exam: ExamView;
  students: {
    student_id: string;
    display_name: string;
    email: string;
    started_at: string;
    submitted: boolean;
    submit_reason: string | null;
    score: number | null;
    total: number;
    answered: number | null;
    items: Record<string, "right" | "wrong" | "unanswered">;
  }[];
  questions: { position: number; id: string; kind: string; title: string; right: number; wrong: number; unanswered: number }[];
}

/** `GET /exams/bank`: what a teacher can put in an exam, per curriculum module. */
export interface ExamBankModule {
  id: string;
  title: string;
  quiz: { id: string; prompt: string; lesson: string }[];
  exercises: { id: string; title: string; difficulty: string }[];
}

export interface ExamBank {
  modules: ExamBankModule[];
}

export interface ExamItemRef {
  kind: "quiz" | "exercise";
  id: string;
}
